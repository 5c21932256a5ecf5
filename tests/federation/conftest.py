from tests.sandbox_idp.helpers import live  # noqa: F401 - fixture
