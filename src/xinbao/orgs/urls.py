from django.urls import path

from xinbao.orgs import views

app_name = "orgs"

urlpatterns = [
    path("roster/", views.roster, name="roster"),
    path("roster/mine/", views.my_unit_roster, name="my_unit_roster"),
    path("roster/units/<int:pk>/", views.unit_roster, name="unit_roster"),
    path("roster/units/<int:pk>/appoint/", views.officer_appoint, name="officer_appoint"),
    path("roster/officers/<int:pk>/", views.officer_manage, name="officer_manage"),
    path("trainings/", views.trainings, name="trainings"),
    path("trainings/missed/", views.training_missed, name="training_missed"),
    path("trainings/<int:pk>/", views.training, name="training"),
    path(
        "trainings/<int:pk>/materials/<int:material_pk>/",
        views.training_material,
        name="training_material",
    ),
    path("exemplary/", views.exemplary_list, name="exemplary_list"),
    path("exemplary/<int:pk>/", views.exemplary, name="exemplary"),
    path("exemplary/<int:pk>/remove/", views.exemplary_remove, name="exemplary_remove"),
    path("officers/me/", views.my_portfolio, name="my_portfolio"),
    path("officers/compare/", views.compare, name="compare"),
    path("officers/<int:pk>/", views.portfolio, name="portfolio"),
    path("officers/<int:pk>/certificate/", views.certificate, name="certificate"),
]
