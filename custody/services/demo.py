"""A small demo centre: five agencies with generic names, a user per role, a warehouse, cases and items."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from custody import clock
from custody.extensions import db
from custody.ledger import SYSTEM
from custody.models import Agency, Item, Location, User
from custody.services import cases, items, locations, people, warehouse
from custody.services.uow import transactional

AGENCIES = [
    ("PSB", "示范市公安局 Demo City Public Security Bureau", "police"),
    ("PRO", "示范市人民检察院 Demo City Procuratorate", "procuratorate"),
    ("CRT", "示范市人民法院 Demo City Court", "court"),
    ("CTR", "示范市涉案财物管理中心 Demo City Property Custody Centre", "centre"),
    ("SUP", "示范市政法委监督室 Demo City Supervision Office", "supervision"),
]
USERS = [
    ("police.handler", "张警官 Officer Zhang", "PSB", ["handler"]),
    ("police.approver", "李科长 Section Chief Li", "PSB", ["approver"]),
    ("pro.handler", "王检察官 Prosecutor Wang", "PRO", ["handler"]),
    ("pro.approver", "赵处长 Director Zhao", "PRO", ["approver"]),
    ("court.handler", "陈法官 Judge Chen", "CRT", ["handler"]),
    ("court.approver", "刘庭长 Presiding Judge Liu", "CRT", ["approver"]),
    ("keeper", "周保管员 Keeper Zhou", "CTR", ["keeper"]),
    ("admin", "吴管理员 Administrator Wu", "CTR", ["admin"]),
    ("auditor", "孙监督员 Auditor Sun", "SUP", ["auditor"]),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    agency: str
    roles: list[str]


def _password() -> str:
    return secrets.token_urlsafe(9)


@transactional
def load_demo(password: str | None = None) -> list[DemoUser]:
    """Load the demo centre; when it is already there, give its users fresh passwords.

    Either way the returned list holds every demo user's password, so the person
    who starts the demo can always sign in.
    """
    loaded = db.session.scalars(select(Agency).where(Agency.code == "PSB")).one_or_none() is not None
    result = []
    if loaded:
        for username, _name, agency, roles in USERS:
            user = db.session.scalars(select(User).where(User.username == username)).one_or_none()
            if user is not None:
                secret = password or _password()
                people.set_password(user, secret, must_change=True)
                result.append(DemoUser(username, secret, agency, roles))
        return result
    for code, name, kind in AGENCIES:
        people.add_agency(SYSTEM, code, name, kind)
    users = {}
    for username, name, agency, roles in USERS:
        secret = password or _password()
        users[username] = people.add_user(SYSTEM, username, agency_code=agency, roles=roles, password=secret, name=name)
        users[username].must_change_password = True  # printed on a terminal: fine for a demo, not for a real centre
        result.append(DemoUser(username, secret, agency, roles))
    shelves = _warehouse(users["keeper"])
    first_case = _cases(users["police.handler"])
    # The first case's items are already on a shelf; the others wait at the intake desk.
    for item in first_case:
        warehouse.intake(users["keeper"], item.code, location=shelves[0].code, seal_intact=True)
    return result


def _warehouse(keeper: User) -> list[Location]:
    building = locations.create_location(keeper, name="一号库 Warehouse 1", kind="warehouse")
    shelves = []
    for zone_name in ("A", "B"):
        zone = locations.create_location(
            keeper, name=f"{zone_name}区 Zone {zone_name}", kind="zone", parent=building.code
        )
        for n in range(1, 4):
            shelves.append(
                locations.create_location(
                    keeper, name=f"{zone_name}-{n:02d} 货架 Shelf", kind="shelf", parent=zone.code
                )
            )
    return shelves


def _cases(handler: User) -> list[Item]:
    """Open the demo cases with their items; returns the first case's items."""
    seized = clock.now() - timedelta(hours=3)
    demo: list[tuple[str, str, list[tuple[str, str, str, str, str, str | None, list[str]]]]] = [
        (
            "示范公刑立字〔2026〕101号",
            "张某某盗窃案 Theft case Zhang",
            [
                ("苹果手机 iPhone", "electronics", "1", "部", "黑色，屏幕有裂痕", "5200.00", ["high_value"]),
                ("现金 Cash", "cash", "12800", "元", "百元面额 128 张", "12800.00", []),
            ],
        ),
        (
            "示范公刑立字〔2026〕102号",
            "李某某诈骗案 Fraud case Li",
            [
                ("笔记本电脑 Laptop", "electronics", "1", "台", "银色，序列号 C02XK", "6800.00", []),
                ("银行卡 Bank cards", "documents", "7", "张", "多家银行", None, []),
                ("金戒指 Gold rings", "valuables", "30", "枚", "密封袋装", "42000.00", ["high_value"]),
            ],
        ),
        (
            "示范公刑立字〔2026〕103号",
            "王某某非法捕捞案 Illegal fishing case Wang",
            [
                ("渔获 Catch", "goods", "85.5", "千克", "冷藏", "3400.00", ["perishable"]),
            ],
        ),
    ]
    registered: list[list[Item]] = []
    for case_no, title, rows in demo:
        cases.open_case(handler, case_no, title)
        registered.append(
            items.register_items(
                handler,
                case_no,
                [
                    {
                        "name": name,
                        "category": category,
                        "quantity": Decimal(qty),
                        "unit": unit,
                        "description": desc,
                        "estimated_value": Decimal(value) if value else None,
                        "seizure_doc_no": f"扣押决定书 {case_no[-5:]}",
                        "seized_at": seized,
                        "seal_no": f"FT{secrets.randbelow(10**6):06d}",
                        "flags": flags,
                    }
                    for name, category, qty, unit, desc, value, flags in rows
                ],
            )
        )
    return registered[0]
