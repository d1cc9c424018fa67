"""Who may see what: the role and area of the signed-in user, checked on the server.

Why one module: every page and every query asks the same question ("is this object
in the user's area?"); answering it in one place means a new page cannot forget it.
A township user sees its township (9-digit code), a banner user its banner (6-digit
code, including banner-level warnings: standards rules, cases with no township,
escalations), a league user everything; the admin sees no personal data at all.
Anything outside the scope is answered exactly like a missing object ("not found").
"""

from __future__ import annotations

from dataclasses import dataclass

from aidwatch.workspace.warehouse import PublishedWarehouse, Snapshot

ROLE_ZH = {
    "township": "苏木镇(街道)经办人", "banner": "旗(区)民政局", "league": "盟民政局", "admin": "系统管理员",
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the pages see it."""

    user_id: int
    login: str
    role: str
    region_code: str | None

    @property
    def sees_personal_data(self) -> bool:
        return self.role in ("township", "banner", "league")

    @property
    def sees_stats(self) -> bool:
        return self.role in ("banner", "league")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def covers(self, banner_code: str | None, township_code: str | None) -> bool:
        """Whether an object placed in (banner, township) is in this user's area."""
        if self.role == "league":
            return True
        if self.role == "banner":
            return bool(banner_code) and banner_code == self.region_code
        if self.role == "township":
            return bool(township_code) and township_code == self.region_code
        return False

    def covers_warning(self, warning: dict) -> bool:
        return self.covers(warning.get("banner_code"), warning.get("township_code"))


def can_see_warning(principal: Principal, warehouse: PublishedWarehouse, warning_key: str) -> dict | None:
    """The warning row of the newest publish when it is in the user's area, else None."""
    warning = warehouse.snapshot().by_key.get(warning_key)
    if warning is None or not principal.covers_warning(warning):
        return None
    return warning


def household_place(warehouse: PublishedWarehouse, household_id: str) -> tuple[str | None, str | None] | None:
    """(banner_code, township_code) of a household (assisted, hukou or ranked), None if unknown."""
    return warehouse.snapshot().places.get(household_id)


def covers_household(principal: Principal, snapshot: Snapshot, household_id: str) -> bool:
    """The household's own place, or a place one of its warnings was reassigned to (to verify it)."""
    if not principal.sees_personal_data:
        return False
    place = snapshot.places.get(household_id)
    if place is not None and principal.covers(*place):
        return True
    return any(principal.covers(*extra) for extra in snapshot.extra_places.get(household_id, ()))


def can_see_household(principal: Principal, warehouse: PublishedWarehouse, household_id: str) -> bool:
    return covers_household(principal, warehouse.snapshot(), household_id)
