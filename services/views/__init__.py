"""Pages of services/, one module per concern; services/urls.py gathers their urlpatterns."""
