"""The embedded uvicorn server answers on 127.0.0.1 and stops on request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from api.run import build_http_server
from api.state import AppState
from srs.config import load_config
from srs.storage import Database


def test_embedded_server_serves_and_stops(database: Database, tmp_path: Path) -> None:
    env = {
        "SRS_HTTP__HOST": "127.0.0.1",
        "SRS_HTTP__PORT": "0",
        "SRS_STORAGE__DATA_DIR": str(tmp_path),
    }
    config = load_config(None, env, detect_host=lambda: "127.0.0.1")
    server = build_http_server(AppState(config=config, db=database))

    async def scenario() -> tuple[int, dict[str, str]]:
        task = asyncio.create_task(server.serve())
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        port = server.bound_port
        assert port
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5)
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
        return response.status_code, response.json()

    assert asyncio.run(scenario()) == (200, {"status": "ok"})
