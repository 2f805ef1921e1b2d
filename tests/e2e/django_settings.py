"""The least Django needs to run ``django-camunda`` in tests/e2e/test_django_camunda.py:
its app, django-solo (its configuration is a singleton model) and an in-memory database
for that configuration. The Camunda URL is not here: it is saved through the app's own
configuration form, which checks it."""

SECRET_KEY = "e2e-tests-only"
INSTALLED_APPS = ["solo", "django_camunda"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
