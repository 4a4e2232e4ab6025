"""Hostile clients, tried as an attacker would, against real processes (redis-server, authorities,
gateways): every attack fails with a clear error code and hurts no other game or client.

One section per attack surface; docs/security.md names the test that proves each row.
"""
import asyncio
import json
import time

import websockets

from client import GameClient
from conftest import Observer


# --- Options and arithmetic: values that could trap the authority ----------------------------


# --- Parsing: nesting, unknown fields, costs ---------------------------------------------------


# --- Text: names and chat in bytes and graphemes -----------------------------------------------


# --- Game objects and games: trades, games per client, idle lobbies, abandoned games, TTLs -----


# --- Connections and browsers: per-address limits, PROXY protocol, Origin, headers ------------
