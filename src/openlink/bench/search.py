"""``openlink bench search``: room search latency over N synthetic rooms.

1. Builds a fresh database (an SQLite file in a temporary folder, or ``--database-url``)
   with N public group rooms in Korean, Japanese, Chinese, English and Spanish, with tags
   and member counts, by bulk inserts (the keyword index fills through its triggers or
   trigram indexes, as in production).
2. Embeds every *distinct* room text with the configured embedder and stores each room's
   vector in ``room_embeddings`` under the current model id: rooms are combinations of a
   topic, a template, a place and a language, so a few thousand texts cover all rooms and
   every stored vector is the real embedding of its room's text.
3. Starts the app's context and indexer exactly as the server does (the indexer loads the
   vectors into memory), then times keyword queries (words from the data, 2-character
   Korean/Japanese/Chinese ones among them) and semantic queries (sentences in another
   language than most matching rooms) through ``queries.search.search``, the function
   behind ``GET /api/search``, each with the full hybrid ranking. The query-vector cache
   is emptied before every query, so each semantic query pays its encoding.
4. Prints p50/p99 per kind and, as the LAST line on stdout, one JSON object.
"""

from __future__ import annotations

import asyncio
import gc
import random
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from openlink.app import build_context
from openlink.config import Settings
from openlink.domain.search import searchable_text, short_grams
from openlink.queries import search as search_query
from openlink.services.indexer import Indexer, room_text, text_hash
from openlink.services.supervisor import Supervisor
from openlink.store.migrate import upgrade_async
from openlink.store.schema import room_embeddings, room_grams, room_tags, rooms, users

BATCH = 5_000
# topic: (en, ko, ja, zh, es) names used for names and tags.
TOPICS: dict[str, tuple[str, str, str, str, str]] = {
    "hiking": ("hiking", "등산", "登山", "徒步", "senderismo"),
    "books": ("book club", "독서", "読書", "读书", "lectura"),
    "music": ("jazz music", "음악", "音楽", "音乐", "música"),
    "cooking": ("cooking", "요리", "料理", "烹饪", "cocina"),
    "football": ("football", "축구", "サッカー", "足球", "fútbol"),
    "photo": ("photography", "사진", "写真", "摄影", "fotografía"),
    "travel": ("travel", "여행", "旅行", "旅游", "viajes"),
    "games": ("video games", "게임", "ゲーム", "游戏", "videojuegos"),
    "movies": ("movies", "영화", "映画", "电影", "cine"),
    "coffee": ("coffee", "커피", "コーヒー", "咖啡", "café"),
    "running": ("running", "달리기", "ランニング", "跑步", "correr"),
    "cats": ("cats", "고양이", "猫", "猫咪", "gatos"),
    "dogs": ("dogs", "강아지", "犬", "狗狗", "perros"),
    "chess": ("chess", "체스", "チェス", "国际象棋", "ajedrez"),
    "yoga": ("yoga", "요가", "ヨガ", "瑜伽", "yoga"),
    "anime": ("anime", "애니", "アニメ", "动漫", "anime"),
    "stocks": ("stock investing", "주식", "株式投資", "股票", "inversión"),
    "english": ("language exchange", "영어 회화", "英会話", "英语角", "intercambio"),
    "baking": ("baking", "베이킹", "お菓子作り", "烘焙", "repostería"),
    "camping": ("camping", "캠핑", "キャンプ", "露营", "acampada"),
    "fishing": ("fishing", "낚시", "釣り", "钓鱼", "pesca"),
    "cycling": ("cycling", "자전거", "サイクリング", "骑行", "ciclismo"),
    "gardening": ("gardening", "원예", "園芸", "园艺", "jardinería"),
    "kpop": ("k-pop", "케이팝", "K-POP", "韩流", "k-pop"),
    "coding": ("programming", "코딩", "プログラミング", "编程", "programación"),
}
PLACES: dict[str, list[str]] = {
    "en": ["London", "New York", "Toronto", "Sydney", "Seattle", "Dublin"],
    "ko": ["서울", "부산", "대구", "인천", "광주", "대전"],
    "ja": ["東京", "大阪", "京都", "名古屋", "福岡", "札幌"],
    "zh": ["北京", "上海", "广州", "深圳", "成都", "杭州"],
    "es": ["Madrid", "Barcelona", "Sevilla", "Valencia", "Bilbao", "Málaga"],
}
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("{place} {t} club", "People in {place} who love {t}. Weekly meetups and chat."),
        ("{t} lovers", "Talk about {t} every day, beginners welcome."),
        ("Weekend {t} in {place}", "We plan weekend {t} together around {place}."),
        ("{t} tips and questions", "Ask anything about {t}; share your tips."),
    ],
    "ko": [
        ("{place} {t} 모임", "{place}에서 {t} 좋아하는 사람들의 모임입니다. 매주 만나요."),
        ("{t} 좋아하는 사람들", "매일 {t} 이야기해요. 초보도 환영합니다."),
        ("주말 {t} {place}", "{place} 근처에서 주말마다 함께 {t} 해요."),
        ("{t} 질문과 팁", "{t}에 대해 무엇이든 물어보세요."),
    ],
    "ja": [
        ("{place}{t}サークル", "{place}で{t}が好きな人の集まりです。毎週会いましょう。"),
        ("{t}好きの部屋", "毎日{t}の話をしましょう。初心者歓迎。"),
        ("週末{t} {place}", "{place}の近くで週末に一緒に{t}を楽しみます。"),
        ("{t}の質問とコツ", "{t}について何でも聞いてください。"),
    ],
    "zh": [
        ("{place}{t}俱乐部", "在{place}喜欢{t}的朋友们，每周聚会聊天。"),
        ("{t}爱好者", "每天聊{t}，欢迎新手。"),
        ("周末{t} {place}", "周末在{place}附近一起{t}。"),
        ("{t}问答与技巧", "关于{t}的问题都可以问。"),
    ],
    "es": [
        ("Club de {t} {place}", "Gente de {place} que ama {t}. Quedadas semanales."),
        ("Amantes de {t}", "Hablamos de {t} cada día, principiantes bienvenidos."),
        ("{t} de fin de semana en {place}", "Planeamos {t} los fines de semana en {place}."),
        ("Preguntas de {t}", "Pregunta lo que quieras sobre {t}."),
    ],
}
LANGS = ["en", "ko", "ja", "zh", "es"]
KEYWORD_QUERIES = [
    "등산",
    "読書",
    "登山",
    "足球",
    "猫",
    "요리",
    "写真",
    "게임",  # 1-2 characters: scans
    "hiking",
    "coffee",
    "photography",
    "서울 등산",
    "東京",
    "プログラミング",
    "fútbol",
    "jazz music",
    "낚시 모임",
    "キャンプ",
    "烘焙",
    "Madrid",
    "club",
    "Toronto yoga",
    "주말",
    "サークル",
    "俱乐部",
    "weekend cycling",
    "ajedrez",
    "고양이 좋아하는",
]
SEMANTIC_QUERIES = [
    "등산 좋아하는 사람들 모임",
    "読書会に参加したい",
    "people who like reading novels",
    "我想找一起踢球的朋友",
    "dónde puedo aprender a programar",
    "猫が好きな人と話したい",
    "weekend mountain trips with friends",
    "요리 레시피 공유하는 방",
    "best places for coffee",
    "一起去钓鱼吧",
    "quiero hablar de películas",
    "ジャズを聴く人たち",
    "learning to bake bread",
    "캠핑 장비 추천해 주세요",
    "photography walks in the city",
    "株の話がしたい",
    "where do runners meet",
    "강아지 산책 친구",
    "yoga for beginners",
    "一緒にゲームしよう",
]


@dataclass(frozen=True, slots=True)
class SearchBenchOptions:
    rooms: int = 100_000
    database_url: str = ""
    queries: int = 400
    seed: int = 7


def run_search_bench(opts: SearchBenchOptions) -> None:
    asyncio.run(_main(opts))


def _variants() -> list[dict[str, Any]]:
    """Every distinct room: topic x template x place x language."""
    out = []
    for names in TOPICS.values():
        for li, lang in enumerate(LANGS):
            for name_t, desc_t in TEMPLATES[lang]:
                for place in PLACES[lang]:
                    t = names[li]
                    tags = sorted({names[li].casefold(), names[0].casefold()})
                    out.append(
                        {
                            "name": name_t.format(t=t, place=place)[:80],
                            "description": desc_t.format(t=t, place=place),
                            "language": lang,
                            "tags": tags,
                            "aliases": [],
                        }
                    )
    return out


async def _main(opts: SearchBenchOptions) -> None:
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="openlink-bench-search-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=opts.database_url,
            log_level="warning",
            sqlite_synchronous="normal",
        )
        url = settings.effective_database_url()
        await upgrade_async(url)
        ctx = build_context(settings)
        embedder = ctx.search.embedder
        variants = _variants()
        rng = random.Random(opts.seed)
        build_started = time.perf_counter()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            vectors = await _embed_variants(progress, embedder, variants)
            await _insert(ctx, progress, opts.rooms, variants, vectors, rng, embedder.model_id)
        if not settings.is_sqlite:
            # Autovacuum would vacuum and analyze the bulk-loaded tables within minutes
            # (the visibility map lets index-only scans skip the heap); do not wait.
            engine = ctx.db.engine
            assert isinstance(engine, AsyncEngine)
            async with engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM ANALYZE"))
        build_s = time.perf_counter() - build_started
        indexer = Indexer(ctx, Supervisor())
        load_started = time.perf_counter()
        await indexer.load()
        load_s = time.perf_counter() - load_started
        console.print(
            f"built in {build_s:.1f} s; {len(ctx.search.vectors)} vectors loaded in {load_s:.1f} s"
        )
        # As the server's GC pacer does (realtime/pacing.py): what survived loading is
        # frozen, so collections do not walk the 100,000 rooms' ids again and again.
        gc.collect()
        gc.freeze()
        keyword = await _time(ctx, KEYWORD_QUERIES, opts.queries, rng)
        semantic = await _time(ctx, SEMANTIC_QUERIES, opts.queries, rng)
        await ctx.db.dispose()
    result = {
        "rooms": opts.rooms,
        "database": "sqlite" if settings.is_sqlite else "postgresql",
        "embedder": embedder.model_id,
        "distinct_texts": len(variants),
        "build_s": round(build_s, 1),
        "vector_load_s": round(load_s, 2),
        "queries_per_kind": opts.queries,
        "keyword_p50_ms": keyword[0],
        "keyword_p99_ms": keyword[1],
        "keyword_mean_results": keyword[2],
        "semantic_p50_ms": semantic[0],
        "semantic_p99_ms": semantic[1],
        "semantic_mean_results": semantic[2],
    }
    console.print(
        f"keyword  p50 {keyword[0]} ms  p99 {keyword[1]} ms\n"
        f"semantic p50 {semantic[0]} ms  p99 {semantic[1]} ms"
    )
    print(orjson.dumps(result).decode(), flush=True)


async def _embed_variants(
    progress: Progress, embedder: Any, variants: list[dict[str, Any]]
) -> list[bytes]:
    task = progress.add_task(f"embedding {len(variants)} distinct texts", total=len(variants))
    out: list[bytes] = []
    for i in range(0, len(variants), 256):
        chunk = [room_text(v) for v in variants[i : i + 256]]
        encoded = await asyncio.to_thread(embedder.encode, chunk)
        out.extend(row.astype("<f4").tobytes() for row in encoded)
        progress.advance(task, len(chunk))
    return out


async def _insert(
    ctx: Any,
    progress: Progress,
    n: int,
    variants: list[dict[str, Any]],
    vectors: list[bytes],
    rng: random.Random,
    model_id: str,
) -> None:
    now = datetime.now(UTC)
    hashes = [text_hash(model_id, room_text(v)) for v in variants]
    pieces = [
        sorted(short_grams(searchable_text(v["name"], v["description"], v["tags"])))
        for v in variants
    ]
    async with ctx.db.write() as tx:
        user_id = (
            await tx.conn.execute(
                insert(users)
                .values(
                    username="bench",
                    password_hash="x",
                    display_name="Bench",
                    language="en",
                    interests=[],
                    created_at=now,
                )
                .returning(users.c.id)
            )
        ).scalar_one()
    task = progress.add_task(f"inserting {n} rooms", total=n)
    for start in range(0, n, BATCH):
        room_rows, tag_rows, vector_rows, gram_rows = [], [], [], []
        for _ in range(start, min(n, start + BATCH)):
            k = rng.randrange(len(variants))
            v = variants[k]
            room_id = secrets.token_hex(8)
            room_rows.append(
                {
                    "id": room_id,
                    "kind": "group",
                    "name": v["name"],
                    "description": v["description"],
                    "visibility": "public",
                    "profile_policy": "open_allowed",
                    "member_cap": 1500,
                    "member_count": min(1500, int(rng.paretovariate(1.2))),
                    "status": "open",
                    "link_code": secrets.token_hex(8),
                    "created_by": user_id,
                    "created_at": now,
                    "language": v["language"],
                }
            )
            tag_rows += [{"room_id": room_id, "name": t, "category": "hobby"} for t in v["tags"]]
            gram_rows += [{"gram": g, "room_id": room_id} for g in pieces[k]]
            vector_rows.append(
                {
                    "room_id": room_id,
                    "model_id": model_id,
                    "text_hash": hashes[k],
                    "vector": vectors[k],
                    "updated_at": now,
                }
            )
        async with ctx.db.write() as tx:
            await tx.conn.execute(insert(rooms), room_rows)
            await tx.conn.execute(insert(room_tags), tag_rows)
            await tx.conn.execute(insert(room_embeddings), vector_rows)
            if gram_rows:
                await tx.conn.execute(insert(room_grams), gram_rows)
        progress.advance(task, len(room_rows))


async def _time(
    ctx: Any, pool: list[str], count: int, rng: random.Random
) -> tuple[float, float, float]:
    for q in pool:  # warm up: the first call of each query shape compiles its SQL
        await search_query.search(ctx, None, q=q)
    timings, results = [], []
    for i in range(count):
        q = pool[i % len(pool)]
        filters: dict[str, Any] = {}
        if i % 5 == 4:
            filters = {"language": rng.choice(LANGS)}
        search_query._query_vectors.clear()
        started = time.perf_counter()
        body = await search_query.search(ctx, None, q=q, **filters)
        timings.append((time.perf_counter() - started) * 1000)
        results.append(len(body["results"]))
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return round(p50, 1), round(p99, 1), round(statistics.mean(results), 1)
