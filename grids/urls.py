from django.urls import path

from grids import views

app_name = "grids"
urlpatterns = [
    path("residents/", views.resident_list, name="resident-list"),
    path("residents/export/", views.resident_export, name="resident-export"),
    path("residents/<int:pk>/", views.resident_detail, name="resident-detail"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident-reveal"),
]
