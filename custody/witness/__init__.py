"""A C2SP tlog-witness that another agency runs beside the centre: its own key, its own store.

It cosigns a checkpoint of the centre's log only when it is consistent with the last one it
cosigned, so the centre cannot show one agency a ledger and another agency a rewritten one.
Nothing here touches the centre's database or models.
"""
