// The keel-admin usage text.
#include "cli/commands.h"

namespace keel::cli {

const char* UsageText() {
  return R"(usage: keel-admin [--bootstrap-server host:port] [--json] [--timeout-ms N] <command>

Topics:
  topics list
  topics describe TOPIC
  topics create TOPIC [--partitions N] [--replication-factor N] [--config k=v]...
  topics alter-config TOPIC [--set k=v]... [--delete k]...
  topics delete TOPIC

Consumer groups:
  groups list
  groups describe GROUP
  groups reset-offsets GROUP --topic T[:p,p]... (--to-earliest | --to-latest |
      --to-datetime YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM] | --to-offset N | --shift-by N)
      [--dry-run (default) | --execute]
  groups delete GROUP

Quick checks:
  produce TOPIC [--key-separator C] [--partition P]      lines from stdin, acks=all
  consume TOPIC [--from-beginning] [--max-messages N] [--partition P] [--group G]
      [--isolation read_committed] [--print-key]

Offline (no broker; read-only):
  segment dump FILE.log [--records]
  log-dir verify DIR [--progress]

Output is aligned tables, or one JSON document with --json. Exit status: 0 ok,
1 error (the Kafka error is named) or damage found, 2 usage error.
Defaults: --bootstrap-server 127.0.0.1:9092, --timeout-ms 30000.
)";
}

}  // namespace keel::cli
