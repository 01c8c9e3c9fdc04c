from django.urls import path

from xinbao.scoring import views

app_name = "scoring"

urlpatterns = [
    path("scoring/ranking/", views.ranking, name="ranking"),
    path("scoring/mine/", views.mine, name="mine"),
    path("scoring/units/<int:pk>/", views.statement, name="statement"),
    path("scoring/units/<int:pk>/adjustments/", views.adjustment_new, name="adjustment_new"),
    path("scoring/adjustments/<int:pk>/revoke/", views.adjustment_revoke, name="adjustment_revoke"),
]
