"""Group session expiry at its deadline, against a real keel broker.

A kafka-python consumer joins a group and is killed with SIGKILL (no
LeaveGroup). Before its session can have expired, DeleteGroups answers
GROUP_NOT_EMPTY; right after session.timeout.ms has elapsed since the kill
(a 100 ms margin, shorter than any periodic scan would need to be reliable)
DeleteGroups succeeds: the broker fires the member's session timer at its
deadline.
"""

import subprocess
import sys
import textwrap
import time
import unittest

from kafka import KafkaAdminClient

from keel_broker import BrokerTestCase

SESSION_MS = 3000
HEARTBEAT_MS = 500
GROUP_NOT_EMPTY = 68
GROUP = "expiring-group"

MEMBER = textwrap.dedent("""
    import sys, time
    from kafka import KafkaConsumer
    c = KafkaConsumer("expiry-topic", bootstrap_servers=sys.argv[1], group_id=sys.argv[2],
                      session_timeout_ms=int(sys.argv[3]), heartbeat_interval_ms=int(sys.argv[4]),
                      auto_offset_reset="earliest", enable_auto_commit=False,
                      client_id="keel-expiry-member")
    deadline = time.monotonic() + 30
    while not c.assignment() and time.monotonic() < deadline:
        c.poll(timeout_ms=200)
    print("joined" if c.assignment() else "not joined", flush=True)
    while True:  # keep heartbeating until killed
        c.poll(timeout_ms=200)
""")


class GroupSessionExpiryTest(BrokerTestCase, unittest.TestCase):
    broker_settings = {"group.min.session.timeout.ms": "1000",
                       "group.initial.rebalance.delay.ms": "0"}

    def delete_group(self, admin):
        ((group, error),) = admin.delete_consumer_groups([GROUP])
        self.assertEqual(group, GROUP)
        return getattr(error, "errno", 0)

    def test_delete_groups_right_after_the_session_deadline_succeeds(self):
        member = subprocess.Popen(
            [sys.executable, "-c", MEMBER, self.broker.bootstrap, GROUP, str(SESSION_MS),
             str(HEARTBEAT_MS)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.addCleanup(member.kill)
        self.assertEqual(member.stdout.readline().strip(), b"joined")
        time.sleep(1.0)  # a few heartbeats
        member.kill()
        member.wait()
        killed_at = time.monotonic()

        admin = KafkaAdminClient(bootstrap_servers=self.broker.bootstrap,
                                 client_id="keel-expiry-admin", request_timeout_ms=15000)
        self.addCleanup(admin.close)
        # The last heartbeat was at most HEARTBEAT_MS before the kill: the
        # session cannot have expired yet.
        self.assertEqual(self.delete_group(admin), GROUP_NOT_EMPTY)
        time.sleep(max(0.0, killed_at + SESSION_MS / 1000.0 + 0.1 - time.monotonic()))
        self.assertEqual(self.delete_group(admin), 0)


if __name__ == "__main__":
    unittest.main()
