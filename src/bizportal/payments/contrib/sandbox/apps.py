from django.apps import AppConfig


class SandboxBankConfig(AppConfig):
    """The sandbox bank: a payment provider plugin plus the bank it talks to.

    It is a Django app of its own because the bank keeps its own ledger
    (``BankTransaction``), as a real bank would on its side of the wire.
    """

    name = "bizportal.payments.contrib.sandbox"
    label = "payments_sandbox"
    verbose_name = "Sandbox bank"

    def ready(self) -> None:
        # Registers the "sandbox", "sandbox_promptpay" and "sandbox_counter" providers and the
        # bank's crash-recovery sweeper.
        from . import counter, promptpay, provider, sweepers  # noqa: F401
