"""The endpoints a user would otherwise write by hand, as the reference for small uploads
and downloads:
FastAPI + python-multipart + SQLAlchemy, one table, no scopes, on the same engine
settings as taskvars (``create_database_engine``: on SQLite WAL, the same pragmas and page
size; on PostgreSQL the same driver and pool).

    TASKVARS_REFERENCE_DATABASE_URL=sqlite:///ref.db uvicorn bench.reference_app:app
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Form, UploadFile
from fastapi.responses import Response
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from taskvars.persistence.database import create_database_engine

engine = create_database_engine(os.environ["TASKVARS_REFERENCE_DATABASE_URL"])
metadata = MetaData()
uploads = Table(
    "upload",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("value_type", String(16)),
    Column("data", LargeBinary),
)
metadata.create_all(engine)
insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
app = FastAPI()


@app.post("/upload/{name}", status_code=204)
def upload(name: str, data: UploadFile, valueType: str = Form("Bytes")) -> Response:  # noqa: N803
    content = data.file.read()
    statement = insert(uploads).values(name=name, value_type=valueType, data=content)
    with engine.begin() as connection:
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["name"], set_={"value_type": valueType, "data": content}
            )
        )
    return Response(status_code=204)


@app.get("/upload/{name}")
def download(name: str) -> Response:
    with engine.connect() as connection:
        data = connection.scalar(select(uploads.c.data).where(uploads.c.name == name))
    if data is None:
        return Response(status_code=404)
    return Response(content=data, media_type="application/octet-stream")
