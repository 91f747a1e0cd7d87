"""hazards API (issue 14)."""

from fastapi import APIRouter

router = APIRouter(tags=["hazards"])
