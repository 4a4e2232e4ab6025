"""A game client over a real WebSocket (the `websockets` package: an implementation independent
of ours), recording every message so tests can compare what each client saw."""
import asyncio
import copy
import itertools
import json

import websockets

_ids = itertools.count(1)


class GameClient:
    def __init__(self, name: str):
        self.name = name
        self.messages = []
        self.states = []
        self.chat = []
        self.errors = []
        self.game = None
        self.player = None
        self.token = None
        self._answers = {}
        self._state_waiters = []
        self._ws = None
        self._reader = None
        self.patches = []  # patch messages received (each is also in states as the state it made)
        self.broken_chains = []  # patches that did not apply to our last state
        self.close_code = None  # the server's close code, once it closed the connection

    @classmethod
    async def connect(cls, url: str, name: str = "client"):
        client = cls(name)
        await client.open(url)
        return client

    async def open(self, url: str):
        self._ws = await websockets.connect(url, max_size=2 ** 22)
        self._reader = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                self.messages.append(message)
                kind = message.get("type")
                if kind == "patch":
                    self.patches.append(message)
                    made = self._patched(message)
                    if made is None:
                        self.broken_chains.append(message)
                        continue
                    message, kind = made, "state"
                if kind == "state":
                    self.states.append(message)
                    for waiter in list(self._state_waiters):
                        predicate, future = waiter
                        if not future.done() and predicate(message):
                            future.set_result(message)
                elif kind == "chat":
                    self.chat.append(message)
                elif kind == "error":
                    self.errors.append(message)
                re = message.get("re")
                if re is not None and re in self._answers and not self._answers[re].done():
                    self._answers[re].set_result(message)
        except websockets.ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd is not None else None

    def _patched(self, patch):
        """The state message a patch makes of our last state, or None when its base is not that."""
        last = self.states[-1] if self.states else None
        if last is None or last["game"] != patch["game"] or last["seq"] != patch["base"]:
            return None
        if last.get("epoch", 0) != patch.get("epoch", 0):  # no patch crosses epochs
            return None
        try:
            made = apply_patch(copy.deepcopy(last), patch["ops"])
        except (KeyError, IndexError, ValueError, TypeError):
            return None
        return made if made.get("seq") == patch["seq"] and made.get("epoch", 0) == patch.get("epoch", 0) else None

    async def send_raw(self, text: str):
        await self._ws.send(text)

    async def request(self, type_: str, timeout: float = 5, request_id=None, **fields):
        """Sends a message with a fresh id (or `request_id`: a retry) and returns the answer that
        echoes it (ack, welcome, error)."""
        request_id = request_id or f"{self.name}-{next(_ids)}"
        future = asyncio.get_running_loop().create_future()
        self._answers[request_id] = future
        await self._ws.send(json.dumps({"type": type_, "id": request_id, **fields}))
        answer = await asyncio.wait_for(future, timeout)
        if answer["type"] == "welcome":
            self.game, self.player = answer["game"], answer["player"]
            if answer.get("token"):
                self.token = answer["token"]
        return answer

    async def ok(self, type_: str, **fields):
        answer = await self.request(type_, **fields)
        assert answer["type"] in ("ack", "welcome"), f"{self.name} {type_} {fields}: {answer}"
        return answer

    async def rejected(self, type_: str, code: str, **fields):
        answer = await self.request(type_, **fields)
        assert answer["type"] == "error" and answer["code"] == code, f"{self.name} {type_}: expected {code}, got {answer}"
        return answer

    async def wait_state(self, predicate=lambda m: True, timeout: float = 5):
        for message in self.states:
            if predicate(message):
                return message
        future = asyncio.get_running_loop().create_future()
        waiter = (predicate, future)
        self._state_waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self._state_waiters.remove(waiter)

    async def wait_seq(self, seq: int, timeout: float = 5):
        return await self.wait_state(lambda m: m["seq"] >= seq, timeout)

    @property
    def state(self):
        return self.states[-1]["state"] if self.states else None

    @property
    def seq(self):
        return self.states[-1]["seq"] if self.states else 0

    async def close(self):
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=2)


def apply_patch(document, ops):
    """RFC 6902 add / remove / replace (all a state patch uses), written apart from the gateway's and
    the browser's so that the three check each other. Raises on an op that does not apply."""
    for op in ops:
        kind, path = op["op"], op["path"]
        if kind not in ("add", "remove", "replace"):
            raise ValueError(f"unsupported op {kind}")
        if path == "":
            if kind == "remove":
                raise ValueError("cannot remove the document")
            document = op["value"]
            continue
        if not path.startswith("/"):
            raise ValueError(f"bad path {path}")
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]
        parent = document
        for token in tokens[:-1]:
            parent = parent[int(token)] if isinstance(parent, list) else parent[token]
        last = tokens[-1]
        if isinstance(parent, list):
            index = len(parent) if last == "-" and kind == "add" else int(last)
            if kind == "add":
                if index > len(parent):
                    raise IndexError(path)
                parent.insert(index, op["value"])
            elif kind == "remove":
                del parent[index]
            else:
                parent[index] = op["value"]
        else:
            if kind != "add" and last not in parent:
                raise KeyError(path)
            if kind == "remove":
                del parent[last]
            else:
                parent[last] = op["value"]
    return document
