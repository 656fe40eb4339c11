from django.core.management.base import BaseCommand

from dashboard.core.audit import audited_command
from dashboard.core.services import demo_users_ensure
from dashboard.simulator.demo import demo_config_load


class Command(BaseCommand):
    help = "Load the demo centre (teams, queues, agents, KPIs, opening hours) and the demo users; print the users."

    @audited_command
    def handle(self, *args, **options):
        summary = demo_config_load()
        self.stdout.write("Demo centre: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
        self.stdout.write("Demo users (username / role / password):")
        for username, role, password in demo_users_ensure():
            self.stdout.write(f"  {username:<12} {role:<11} {password}")
