from django.apps import AppConfig


class SandboxGatewaysConfig(AppConfig):
    """Two hosted-page payment gateways and the portal's plugins for them: a card
    gateway (hosted card form, 3-D Secure-style OTP challenge, signed webhook, refunds)
    and the Comptroller General's Department e-Payment route (fees paid straight to
    the treasury). Each keeps its own ledger, as the real services do on their side."""

    name = "bizportal.payments.contrib.gateways"
    label = "payments_sandbox_gateways"
    verbose_name = "Sandbox card gateway and CGD e-Payment"

    def ready(self) -> None:
        # Registers the "sandbox_card" and "sandbox_cgd" payment providers and the
        # gateways' crash-recovery sweeper.
        from . import card, cgd, sweepers  # noqa: F401
