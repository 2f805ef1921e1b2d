"""Camunda's ``links`` on a resource just created (``LinkableDto.addReflexiveLink``)."""

from __future__ import annotations

from urllib.parse import quote

import connexion

CREATE_SEGMENT = "/create"


def self_link(created_id: str) -> dict[str, str]:
    """A ``GET`` link to what ``POST .../create`` made: the request's own address, with
    its last segment replaced by ``created_id``."""
    request = connexion.request
    url = request.url
    # The decoded path (the URL's own has some characters escaped), quoted once here.
    collection: str = request.scope["path"].removesuffix(CREATE_SEGMENT)
    href = f"{url.scheme}://{url.netloc}{quote(collection, safe='/')}/{quote(created_id, safe='')}"
    return {"method": "GET", "href": href, "rel": "self"}
