"""Users gain ``otp_epoch``, the generation of their second factor (R08): a session's OTP
verification holds while the epoch it recorded is the user's. The column has a database default,
so on PostgreSQL adding it writes no row (the constant is kept in the catalogue); the CHECK of a
positive integer field reads the table once. Sessions verified before the upgrade recorded no
epoch: their users enter a code once more (docs/deploy.md, 六)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0005_unit_assessment_class"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="otp_epoch",
            field=models.PositiveIntegerField(
                db_default=0, default=0, verbose_name="动态口令代次"
            ),
        ),
    ]
