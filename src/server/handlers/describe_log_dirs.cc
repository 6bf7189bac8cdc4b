#include "describe_log_dirs.h"

#include <sys/statvfs.h>

#include <filesystem>
#include <map>
#include <set>

#include "keel/common/logging.h"

namespace keel::server {
namespace {

using Resp = protocol::DescribeLogDirsResponse;
using DirResult = Resp::DescribeLogDirsResult;
using TopicResult = DirResult::DescribeLogDirsTopic;

std::string AbsoluteDir(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) p = path;
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// Runs on the storage pool (statvfs and size_bytes may touch the disk).
Resp Describe(const BrokerContext& broker, const protocol::DescribeLogDirsRequest& request) {
  Resp resp;
  resp.error_code = int16_t(ErrorCode::NONE);
  std::vector<std::string> dirs;
  std::map<std::string, size_t> dir_index;
  for (const auto& d : broker.config.log_dirs) {
    std::string abs = AbsoluteDir(d);
    if (dir_index.count(abs)) continue;
    dir_index.emplace(abs, dirs.size());
    dirs.push_back(abs);
    DirResult& out = resp.results.emplace_back();
    out.error_code = int16_t(ErrorCode::NONE);
    out.log_dir = abs;
    struct statvfs vfs;
    if (::statvfs(abs.c_str(), &vfs) == 0) {
      out.total_bytes = int64_t(vfs.f_blocks) * int64_t(vfs.f_frsize);
      out.usable_bytes = int64_t(vfs.f_bavail) * int64_t(vfs.f_frsize);
    }
  }

  // Which partitions: null = all; otherwise the named ones that exist.
  std::map<std::string, std::set<int32_t>> wanted;
  const bool all = !request.topics.has_value();
  if (!all) {
    for (const auto& t : *request.topics)
      for (PartitionId p : t.partitions) wanted[t.topic].insert(p.value);
  }
  // Per dir, per topic (sorted by name), the partitions in index order.
  std::vector<std::map<std::string, TopicResult>> by_dir(dirs.size());
  for (const partition::TopicInfo& topic : broker.partitions.ListTopics()) {
    const std::set<int32_t>* only = nullptr;
    if (!all) {
      auto it = wanted.find(topic.name);
      if (it == wanted.end()) continue;
      only = &it->second;
    }
    for (int32_t p = 0; p < topic.partitions; ++p) {
      if (only && !only->count(p)) continue;
      auto log = broker.partitions.GetLog(TopicPartition{topic.name, PartitionId(p)});
      if (!log) continue;
      std::string parent = AbsoluteDir(std::filesystem::path(log->dir()).parent_path().string());
      auto d = dir_index.find(parent);
      if (d == dir_index.end()) {
        ModuleLogger("broker")->warn("partition {}-{} lives in {}, not a configured log dir",
                                     topic.name, p, parent);
        continue;
      }
      TopicResult& tr = by_dir[d->second][topic.name];
      tr.name = topic.name;
      auto& part = tr.partitions.emplace_back();
      part.partition_index = PartitionId(p);
      part.partition_size = int64_t(log->size_bytes());
      part.offset_lag = 0;
      part.is_future_key = false;
    }
  }
  for (size_t i = 0; i < dirs.size(); ++i)
    for (auto& [name, tr] : by_dir[i]) resp.results[i].topics.push_back(std::move(tr));
  return resp;
}

}  // namespace

Task<Reply<DescribeLogDirsHandler::Response>> DescribeLogDirsHandler::Handle(Call& call,
                                                                             Request& request) {
  BrokerContext& broker = call.broker;
  auto work = [&broker, &request] { return Describe(broker, request); };
  Response resp = co_await RunOn(broker.storage_pool, std::move(work));
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
