"""The sandbox provider answering as DOPA's ThaID (its own issuer, client and claims)."""

from .urls import patterns

app_name = "sandbox_thaid"
urlpatterns = patterns("thaid")
