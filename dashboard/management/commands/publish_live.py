import asyncio
import signal

from django.core.management.base import BaseCommand

from dashboard.live.publisher import Publisher


class Command(BaseCommand):
    help = "Run the live publisher: pushes each scope's snapshot to the wallboards when it changes (any number of copies: one leads, the others stand by)."

    def handle(self, *args, **options):
        async def main():
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            self.stdout.write("Live publisher running; Ctrl-C stops.")
            await Publisher().run(stop=stop)

        asyncio.run(main())
