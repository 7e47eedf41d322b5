"""`swps profile new XX` and `swps profile check [XX|DIR]`; `--profile` for every command."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from swps_pipeline.profiles import (
    PACKAGED_PROFILES,
    PROFILE_DIR_VARIABLE,
    PROFILE_VARIABLE,
    ProfileError,
    check_profile,
    profile_folder,
    read_profile,
)

EXIT_CLEAN, EXIT_PROBLEMS = 0, 2


def select_profile(argv: list[str]) -> list[str]:
    """Apply a leading `--profile XX|DIR` (before the command) to the environment; the rest of argv."""
    if argv[:1] == ["--profile"] and len(argv) > 1:
        selector, argv = argv[1], argv[2:]
    elif argv[:1] and argv[0].startswith("--profile="):
        selector, argv = argv[0].split("=", 1)[1], argv[1:]
    else:
        return argv
    use_profile(selector)
    return argv


def use_profile(selector: str) -> None:
    """Make `selector` (a packaged code or a folder) the active profile of this process and its children."""
    if Path(selector).is_dir():
        os.environ[PROFILE_DIR_VARIABLE] = selector
    else:
        os.environ.pop(PROFILE_DIR_VARIABLE, None)
        os.environ[PROFILE_VARIABLE] = selector


def add_profile_command(commands) -> None:
    """The `profile` subcommand, with its `new` and `check` actions."""
    profile = commands.add_parser("profile", help="scaffold or check a country profile (swps_pipeline/profiles/)")
    actions = profile.add_subparsers(dest="action", required=True)
    new = actions.add_parser("new", help="scaffold the profile of a country from ISO 3166-2 (or NUTS) and ISO 4217")
    new.add_argument("country", help="ISO 3166-1 alpha-2 code, e.g. BE")
    new.add_argument("--level", help="ISO 3166-2 subdivision type of the areas (default: the lowest level)")
    new.add_argument("--nuts", metavar="LEVEL", help="take the areas from the EU's NUTS classification at LEVEL "
                     "(1, 2 or 3) instead of ISO 3166-2")
    new.add_argument("--out", help="the new profile's folder (default swps_pipeline/profiles/<XX>)")
    new.set_defaults(handler=command_profile)
    check = actions.add_parser("check", help="name every missing or inconsistent field of a profile, one a line")
    check.add_argument("profile", nargs="?", help="a packaged code (FR) or a folder (default: $SWPS_PROFILE_DIR, "
                       "$SWPS_PROFILE or FR)")
    check.set_defaults(handler=command_profile)


def command_profile(args: argparse.Namespace) -> int:
    if args.action == "new":
        from swps_pipeline.profiles.scaffold import new_profile

        folder = Path(args.out) if args.out else PACKAGED_PROFILES / args.country.upper()
        try:
            new_profile(args.country, folder, args.level, args.nuts)
        except ProfileError as error:
            print(f"swps profile new: {error}")
            return EXIT_PROBLEMS
        problems = check_profile(folder)
        print(f"swps profile new: {folder} written; {len(problems)} field(s) to fill or fix "
              f"(`swps profile check {folder}`)")
        return EXIT_CLEAN
    folder = profile_folder(args.profile)
    problems = check_profile(folder)
    for problem in problems:
        print(f"{folder}: {problem}")
    if problems:
        return EXIT_PROBLEMS
    profile = read_profile(folder)
    print(f"{folder}: clean ({profile.name}: {len(profile.areas)} {profile.area_level_plural}, "
          f"currency {profile.currency}, time zone {profile.timezone})")
    return EXIT_CLEAN
