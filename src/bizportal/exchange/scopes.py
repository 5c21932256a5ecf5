"""OAuth2 scopes an agency system may be given, per system.

django-oauth-toolkit offers every scope in ``OAUTH2_PROVIDER["SCOPES"]`` to every
client; an agency system may only ask for those its :class:`AgencySystem` row lists
(anything else is answered ``invalid_scope``), and a deactivated system gets none.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.scopes import SettingsScopes

from .models import AgencySystem


class AgencySystemScopes(SettingsScopes):
    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        offered = super().get_available_scopes(application, request, *args, **kwargs)
        system = AgencySystem.objects.filter(client=application, is_active=True).first()
        if system is None:
            return []
        return [scope for scope in offered if scope in system.scopes]

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        """A token asked for without ``scope`` carries every scope the system has."""
        return self.get_available_scopes(application, request, *args, **kwargs)
