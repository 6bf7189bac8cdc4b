// Tests of keel-admin's command line (CLI11): global options anywhere,
// option values, usage errors and help.
#include "cli/command_line.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace keel::cli {
namespace {

using Words = std::vector<std::string>;

absl::Status UsageOf(const Words& words) { return ParseCommandLine(words).status(); }

TEST(CommandLineTest, GlobalOptionsGoAnywhereOnTheLine) {
  auto parsed = ParseCommandLine(
      {"topics", "--json", "list", "--timeout-ms=5", "--bootstrap-server", "broker:9093"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->options.json);
  EXPECT_EQ(parsed->options.timeout_ms, 5);
  EXPECT_EQ(parsed->options.bootstrap, "broker:9093");
  EXPECT_TRUE(parsed->action != nullptr);
  EXPECT_TRUE(parsed->help.empty());

  auto defaults = ParseCommandLine({"groups", "list"});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_FALSE(defaults->options.json);
  EXPECT_EQ(defaults->options.timeout_ms, 30000);
  EXPECT_EQ(defaults->options.bootstrap, "127.0.0.1:9092");
}

TEST(CommandLineTest, AcceptsTheDocumentedForms) {
  for (const Words& words : std::vector<Words>{
           {"topics", "create", "orders", "--partitions", "3", "--config", "retention.ms=86400000"},
           {"topics", "create", "--partitions=3", "t", "--config", "a=1", "--config", "b=2"},
           // --config takes exactly one value, so "t" is the topic.
           {"topics", "create", "--config", "a=1", "t"},
           {"topics", "alter-config", "orders", "--set", "retention.ms=1", "--delete", "segment.ms"},
           {"topics", "describe", "orders"},
           {"topics", "delete", "orders"},
           {"groups", "describe", "audit"},
           {"groups", "reset-offsets", "audit", "--topic", "orders:0,1", "--to-earliest"},
           {"groups", "reset-offsets", "audit", "--topic", "orders", "--to-datetime", "2026-11-26T09:00:00Z",
            "--execute"},
           // A negative number is a value, not an option.
           {"groups", "reset-offsets", "audit", "--topic", "orders:1", "--shift-by", "-10", "--execute"},
           {"groups", "reset-offsets", "audit", "--topic", "a", "--topic", "b", "--to-offset", "42", "--dry-run"},
           {"groups", "delete", "audit"},
           {"produce", "orders", "--key-separator", ":"},
           {"produce", "orders", "--partition", "2"},
           {"consume", "orders", "--from-beginning", "--print-key", "--max-messages", "100", "--group", "g"},
           {"consume", "orders", "--partition", "0", "--isolation", "read_committed", "--json"},
           {"segment", "dump", "00000000000000000000.log", "--records"},
           {"log-dir", "verify", "/var/lib/keel", "--progress"},
           // Words equal to command names are names here, not commands.
           {"topics", "create", "list"},
           {"topics", "describe", "produce"},
           {"groups", "delete", "topics"},
       }) {
    auto parsed = ParseCommandLine(words);
    EXPECT_TRUE(parsed.ok()) << words[0] << " " << words[1] << ": " << parsed.status();
  }
}

TEST(CommandLineTest, UsageErrorsAreInvalidArgumentWithAMessage) {
  struct Case {
    Words words;
    std::string message;  // a part of the message
  };
  for (const Case& c : std::vector<Case>{
           {{"frobnicate"}, "unknown command 'frobnicate'"},
           {{"--json"}, "missing command"},
           {{"topics"}, "topics needs a subcommand: list, describe, create, alter-config, delete"},
           {{"topics", "frob"}, "unknown topics subcommand 'frob'"},
           {{"topics", "create"}, "TOPIC is required"},
           {{"topics", "create", "x", "--partitions", "many"}, "--partitions"},
           {{"topics", "create", "x", "--partitions", "0"}, "--partitions"},
           {{"topics", "create", "x", "--partitions"}, "--partitions"},
           {{"topics", "list", "--bogus"}, "unexpected argument '--bogus'"},
           {{"topics", "describe", "a", "b"}, "unexpected argument 'b'"},
           {{"topics", "alter-config", "orders"}, "--set"},
           {{"groups", "reset-offsets", "g", "--topic", "t"}, "--to-earliest"},
           {{"groups", "reset-offsets", "g", "--to-earliest"}, "--topic is required"},
           {{"groups", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest"}, "--to-latest"},
           {{"groups", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--dry-run", "--execute"},
            "--execute"},
           {{"groups", "reset-offsets", "g", "--topic", "t", "--to-datetime", "2024-02-31T00:00:00Z"},
            "2024-02-31"},
           {{"groups", "reset-offsets", "g", "--topic", "t", "--to-offset", "x"}, "--to-offset"},
           {{"--timeout-ms", "0", "topics", "list"}, "--timeout-ms"},
           {{"consume", "t", "--isolation", "bogus"}, "--isolation"},
           {{"produce", "t", "--key-separator", ""}, "--key-separator"},
           {{"segment", "dump"}, "FILE is required"},
           {{"log-dir"}, "log-dir needs a subcommand: verify"},
       }) {
    absl::Status s = UsageOf(c.words);
    std::string line;
    for (const auto& w : c.words) line += w + " ";
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << line << "-> " << s;
    EXPECT_NE(s.message().find(c.message), absl::string_view::npos) << line << "-> " << s;
  }
}

TEST(CommandLineTest, HelpListsEveryCommandAndEachCommandItsOptions) {
  auto top = ParseCommandLine({"--help"});
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_TRUE(top->action == nullptr);
  for (const char* word : {"topics", "groups", "produce", "consume", "segment", "log-dir", "list", "describe",
                           "create", "alter-config", "delete", "reset-offsets", "dump", "verify",
                           "--bootstrap-server", "--json", "--timeout-ms", "Exit status"}) {
    EXPECT_NE(top->help.find(word), std::string::npos) << word << " missing from\n" << top->help;
  }
  EXPECT_EQ(top->help, FullHelp());

  auto create = ParseCommandLine({"topics", "create", "-h"});
  ASSERT_TRUE(create.ok()) << create.status();
  for (const char* word : {"keel-admin topics create", "--partitions", "--replication-factor", "--config", "TOPIC"}) {
    EXPECT_NE(create->help.find(word), std::string::npos) << word << " missing from\n" << create->help;
  }
  auto reset = ParseCommandLine({"groups", "reset-offsets", "--help"});
  ASSERT_TRUE(reset.ok()) << reset.status();
  for (const char* word : {"--topic", "--to-earliest", "--to-latest", "--to-datetime", "--to-offset", "--shift-by",
                           "--dry-run", "--execute"}) {
    EXPECT_NE(reset->help.find(word), std::string::npos) << word << " missing from\n" << reset->help;
  }
}

// The parsed action runs the command with the options as given: an offline
// command on a missing file fails with that file's error, not a usage error.
TEST(CommandLineTest, TheActionRunsTheSelectedCommand) {
  auto parsed = ParseCommandLine({"segment", "dump", "/nonexistent/keel-cli-test/00000000000000000000.log"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  Context ctx(parsed->options);
  absl::Status s = parsed->action(ctx);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("keel-cli-test"), absl::string_view::npos) << s;

  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = tmp ? tmp : "/tmp";
  auto verify = ParseCommandLine({"log-dir", "verify", dir + "/does-not-exist-keel-cli"});
  ASSERT_TRUE(verify.ok()) << verify.status();
  absl::Status v = verify->action(ctx);
  EXPECT_EQ(v.code(), absl::StatusCode::kNotFound) << v;
}

}  // namespace
}  // namespace keel::cli
