"""The root URL map with the open-data pages, until the root urlconf includes them."""

from django.urls import include, path

from bizportal import urls as root

handler400 = root.handler400
handler403 = root.handler403
handler404 = root.handler404
handler500 = root.handler500

urlpatterns = list(root.urlpatterns)
if not any(getattr(entry, "namespace", None) == "opendata" for entry in urlpatterns):
    urlpatterns.insert(0, path("open-data/", include("bizportal.reports.opendata_urls")))
