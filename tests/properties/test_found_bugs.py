"""What the stateful test found, pinned as plain tests: each states the behaviour the design asks for
(both were product bugs when found, and are fixed)."""

from __future__ import annotations

from typing import Any

from custody.errors import DomainError
from custody.services import checkouts, handovers
from tests.worlds import HandoverWorld


def test_items_moving_with_a_case_leave_by_a_check_out_the_keeper_can_release(make: Any) -> None:
    """Minimal case (hypothesis): open a case, register one item (no intake), hand the case over with that item
    moving with it, approve, presence check, accept, release. DESIGN §5.4: items moving with the case leave
    by a check-out the keeper releases by scanning. Either the request refuses an item that is not on a
    shelf (naming it), or the check-out it leads to can be released."""
    world = HandoverWorld(make)
    (loose,) = make.items(world.handler, world.case, 1)  # registered, never taken in: on no shelf
    try:
        number = world.requested(moves_with_case=[loose.code])
    except DomainError as refused:
        assert loose.code in refused.detail
        return
    handovers.approve_handover(world.approver, number)
    handovers.check_presence(world.keeper, number, [*world.codes, loose.code])
    accepted = handovers.accept_handover(world.prosecutor, number)
    assert accepted.checkout_number
    released = checkouts.release_checkout(world.keeper, accepted.checkout_number)
    assert released.status == "released"
