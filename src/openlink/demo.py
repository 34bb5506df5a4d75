"""Demo data in Korean, Japanese and English, written through the public use cases."""

from __future__ import annotations

import uuid

from openlink.actions import accounts, joining, messages, rooms
from openlink.actions.context import Context
from openlink.actions.interests import do_seed_interests
from openlink.domain.rooms import ProfilePolicy, RoomKind, TagCategory, Visibility
from openlink.errors import Conflict

DEMO_PASSWORD = "openlink-demo"

USERS = [
    ("minji", "민지", "ko", ["등산", "독서"]),
    ("haruto", "はると", "ja", ["読書", "登山"]),
    ("alex", "Alex", "en", ["hiking", "indie games"]),
]

ROOMS = [
    (
        "minji",
        "등산 좋아하는 사람들 모임",
        "주말마다 서울 근교 산에 같이 올라요. 초보 환영!",
        [("등산", TagCategory.HOBBY), ("서울", TagCategory.PLACE)],
        [
            ("minji", "이번 주 토요일 북한산 가실 분?"),
            ("alex", "I'd love to join! What time?"),
            ("haruto", "北漢山いいですね!私も行きたいです。"),
        ],
    ),
    (
        "haruto",
        "読書会 — 今月の一冊",
        "毎月一冊を読んで感想を話し合う読書会です。",
        [("読書", TagCategory.HOBBY), ("book club", TagCategory.CONTENT)],
        [
            ("haruto", "今月は『ノルウェイの森』です。"),
            ("minji", "저도 읽고 있어요! 너무 좋아요."),
            ("alex", "Just started it — the opening chapter is beautiful."),
        ],
    ),
    (
        "alex",
        "Indie game devs",
        "Share what you are building, playtest each other's games.",
        [("indie games", TagCategory.HOBBY), ("gamedev", TagCategory.HOBBY)],
        [
            ("alex", "Anyone tried the new Godot release?"),
            ("haruto", "はい!とても速くなりました。"),
            ("minji", "저는 유니티에서 넘어가는 중이에요."),
        ],
    ),
    # Rooms that not everyone joined: something for trending and recommendations to show
    # (hiking by its Japanese name for the other hikers).
    (
        "haruto",
        "週末ハイキング部",
        "高尾山や奥多摩など、東京から日帰りで行ける山を歩きます。",
        [("ハイキング", TagCategory.HOBBY), ("東京", TagCategory.PLACE)],
        [("haruto", "今週末は高尾山に行きます。一緒にどうですか?")],
    ),
    (
        "minji",
        "독서 노트 — 한 줄 감상",
        "읽은 책에서 마음에 남은 한 줄을 나눠요.",
        [("독서", TagCategory.HOBBY)],
        [
            ("minji", "“우리는 모두 각자의 속도로 자란다.”"),
            ("haruto", "素敵な一文ですね。"),
        ],
    ),
]


async def seed_demo(ctx: Context) -> bool:
    """Create the demo accounts and rooms. Returns False if they were already there."""
    await do_seed_interests(ctx)  # so that the rooms' tags name their interests
    users = {}
    for username, display, lang, interests in USERS:
        try:
            user, _, _ = await accounts.do_sign_up(
                ctx,
                username=username,
                password=DEMO_PASSWORD,
                display_name=display,
                language=lang,
                interests=interests,
            )
        except Conflict:
            return False
        users[username] = user
    for host, name, description, tags, lines in ROOMS:
        room, _ = await rooms.do_create_room(
            ctx,
            users[host],
            name=name,
            description=description,
            kind=RoomKind.GROUP,
            visibility=Visibility.PUBLIC,
            profile_policy=ProfilePolicy.OPEN_ALLOWED,
            tags=tags,
            cover_url=None,
            member_cap=None,
            code=None,
            host_profile={"kind": "main"},
        )
        for username, user in users.items():
            if username != host and username in {author for author, _ in lines}:
                await joining.do_join_public(
                    ctx,
                    user,
                    room.id,
                    code=None,
                    profile={"kind": "open", "nickname": f"{user.display_name}*"},
                )
        for username, text in lines:
            await messages.do_send_message(
                ctx, users[username], room.id, client_id=str(uuid.uuid4()), body=text
            )
    await rooms.do_create_room(
        ctx,
        users["minji"],
        name="민지에게 1:1 질문하기",
        description="등산 코스 추천해 드려요.",
        kind=RoomKind.DIRECT_LINK,
        visibility=Visibility.PUBLIC,
        profile_policy=ProfilePolicy.OPEN_ALLOWED,
        tags=[("등산", TagCategory.HOBBY)],
        cover_url=None,
        member_cap=None,
        code=None,
        host_profile={"kind": "main"},
    )
    return True
