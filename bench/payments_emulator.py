"""The Stripe emulator as ``bench.payments`` runs it: ``stripe_emulator --in-memory``,
with localstripe's lists indexed by object type.

Run from the repository root: ``.venv/bin/python -m bench.payments_emulator --port N`` (it takes
every option of ``python -m stripe_emulator``, and adds ``--in-memory``).

Why: localstripe lists objects by scanning its whole store (``StripeObject._api_list_all``), and
it lists a charge's refunds each time it exports the charge, so every PaymentIntent created or
read costs time in proportion to all the objects stored (about 6 per payment). Measured on the
project's 2-core machine, one PaymentIntent read took 5 ms of the emulator's CPU after 1,000
payments and 42 ms after 6,000: at 10,000 the emulator, not the app, would set the pace, and
making the PaymentIntents alone would take a quarter of an hour. Stripe's API does not slow down
as its data grows. Here each object type's objects are also kept in a dict of their own (in the
store's order, which lists keep), and the lists read that.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any

from stripe_emulator import _localstripe
from stripe_emulator.__main__ import main as emulator_main


def index_lists() -> None:
    """Make localstripe's lists read an index by object type instead of the whole store."""
    resources, _ = _localstripe()
    store = resources.store
    by_type: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    for key, value in store.items():
        by_type[key.partition(":")[0]][key] = value
    store_class = resources.Store
    set_item, del_item = store_class.__setitem__, store_class.__delitem__

    def __setitem__(self: Any, key: str, value: Any) -> None:  # noqa: N807 - the dict protocol
        set_item(self, key, value)
        if self is store:
            by_type[key.partition(":")[0]][key] = value

    def __delitem__(self: Any, key: str) -> None:  # noqa: N807 - the dict protocol
        del_item(self, key)
        if self is store:
            by_type[key.partition(":")[0]].pop(key, None)

    def _api_list_all(
        cls: Any, url: Any, limit: Any = None, starting_after: Any = None, **kwargs: Any
    ) -> Any:
        # localstripe's own, but for the line that scanned the store.
        if kwargs:
            raise resources.UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        li = resources.List(url, limit=limit, starting_after=starting_after)
        li._list = list(by_type[cls.object].values())
        return li

    store_class.__setitem__ = __setitem__
    store_class.__delitem__ = __delitem__
    resources.StripeObject._api_list_all = classmethod(_api_list_all)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    index_lists()
    return emulator_main([*args, "--in-memory"] if "--in-memory" not in args else args)


if __name__ == "__main__":
    sys.exit(main())
