"""Helpers for tests of keel's HTTP listener: GET with http.client, and a
small parser of the Prometheus text exposition format (0.0.4)."""

import http.client
import re

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def http_get(port, path, timeout=10):
    """Returns (status, content_type, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read().decode("utf-8")
    finally:
        conn.close()


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse_exposition(text):
    """Returns (samples, types): samples is a list of (name, {labels}, value);
    types maps a family name to its # TYPE. Raises ValueError on a line that
    is neither a comment nor a sample."""
    samples, types = [], {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError("not an exposition line: %r" % line)
        labels = {k: _unescape(v) for k, v in _LABEL.findall(m.group(3) or "")}
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples, types


def find(samples, name, **labels):
    """Values of the samples named `name` whose labels include `labels`."""
    return [v for n, l, v in samples
            if n == name and all(l.get(k) == str(x) for k, x in labels.items())]


def one(samples, name, **labels):
    values = find(samples, name, **labels)
    if len(values) != 1:
        raise AssertionError("expected one sample %s%r, found %r" % (name, labels, values))
    return values[0]
