"""The sandbox NDID node (``/sandbox/ndid/``): its RP API and the IdPs' approval page."""

from django.urls import path

from . import ndid_views
from .flavours import flavoured

app_name = "sandbox_ndid"
urlpatterns = [
    path("utility/idp", flavoured("ndid", ndid_views.idp_list), name="idps"),
    path(
        "rp/requests/<slug:namespace>/<str:identifier>",
        flavoured("ndid", ndid_views.create_request),
        name="request",
    ),
    path("idp/<slug:request_id>/", flavoured("ndid", ndid_views.approve), name="approve"),
]
