"""make bench-reforecast: the intraday reforecast's accuracy against the plain forecast, and the deviation
alert, on the simulator's days (dashboard/simulator/reforecast_check.py; no database). Prints one JSON line
per seed: WAPE of the rest of the day (forecast, reforecast) on ordinary and campaign days, the days the
alert was raised and its delay after the campaign began (minutes)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from dashboard.simulator.reforecast_check import reforecast_check  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--volume", type=float, default=1200.0, help="contacts on an average weekday")
    parser.add_argument("--factor", type=float, default=1.4, help="the campaign's volume factor")
    parser.add_argument("--history-weeks", type=int, default=6)
    parser.add_argument("--test-weeks", type=int, default=2)
    args = parser.parse_args()
    for seed in args.seeds:
        result = reforecast_check(
            first_monday=date(2026, 4, 20), history_weeks=args.history_weeks, test_weeks=args.test_weeks,
            volume_per_day=args.volume, campaign_factor=args.factor, seed=seed,
        )  # fmt: skip
        print(json.dumps({"seed": seed, "volume": args.volume, "factor": args.factor, **result.as_dict()}), flush=True)


if __name__ == "__main__":
    main()
