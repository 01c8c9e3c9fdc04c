"""``xinbao db_roles``: least-privilege PostgreSQL roles (R17, docs/deploy.md).

xinbao db_roles sql --owner xinbao_owner --app xinbao_app --database xinbao
    prints the superuser's one-time SQL (roles, database, schema) and the owner's grants
xinbao db_roles grant --app xinbao_app
    run as the owner after every migrate: the app role gets the business tables, and only
    INSERT/SELECT on the audit table
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinbao.ops.dbroles import RoleNameError, grants_apply, grants_sql, roles_sql


class Command(BaseCommand):
    help = "PostgreSQL 最小权限角色:属主角色执行迁移,应用角色对审计表只有插入和查询权限。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="step", required=True)
        sql = sub.add_parser("sql", help="打印超级用户一次性执行的 SQL 和属主执行的授权 SQL")
        sql.add_argument("--owner", default="xinbao_owner")
        sql.add_argument("--app", default="xinbao_app")
        sql.add_argument("--database", default="xinbao")
        grant = sub.add_parser("grant", help="以属主身份连接,授权应用角色(每次迁移后执行)")
        grant.add_argument("--app", default="xinbao_app")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["step"] == "sql":
                self.stdout.write("-- 1. 超级用户执行一次(psql -U postgres):")
                for line in roles_sql(
                    owner=options["owner"], app=options["app"], database=options["database"]
                ):
                    self.stdout.write(line if line.startswith("\\") else f"{line};")
                self.stdout.write("-- 2. 属主执行 migrate 后授权(xinbao db_roles grant),等同于:")
                for line in grants_sql(app=options["app"]):
                    self.stdout.write(f"{line};")
                return
            statements = grants_apply(app=options["app"])
        except RoleNameError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已授权 {options['app']}:{len(statements)} 条语句;审计表只有 INSERT、SELECT。"
        )
