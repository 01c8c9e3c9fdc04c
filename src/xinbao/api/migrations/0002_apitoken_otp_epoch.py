"""Tokens record their owner's ``otp_epoch`` when issued (R08): a device change or a new
password ends them. The database default makes the column an online change on PostgreSQL (no
table rewrite), and every existing token (0) matches its owner's epoch (0 after orgs/0006)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='otp_epoch',
            field=models.PositiveIntegerField(db_default=0, default=0, verbose_name='动态口令代次'),
        ),
    ]
