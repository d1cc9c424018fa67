"""Planted rule cases: each module here defines `plant(world: World) -> None`.

`simulator.generate` runs every module of this package in name order after the
clean background (modules whose name starts with `_` are skipped). A plant adds
people, households and records through `simulator.world.World` and records the
truth with `world.expect(rule_id, subject_key, id_number, must_fire)`.
"""
