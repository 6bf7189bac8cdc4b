#include "delete_groups.h"

#include "join_group.h"

namespace keel::server {

Task<Reply<DeleteGroupsHandler::Response>> DeleteGroupsHandler::Handle(Call& call,
                                                                       Request& request) {
  Response resp;
  coordinator::GroupCoordinator* groups = call.broker.groups;
  std::vector<coordinator::GroupError> errors(request.groups_names.size(),
                                              coordinator::GroupError::kCoordinatorNotAvailable);
  if (groups && !request.groups_names.empty()) {
    auto ids = std::make_shared<std::vector<std::string>>(request.groups_names);
    std::function<void(absl::AnyInvocable<void(std::vector<coordinator::GroupError>)>)> start =
        [groups, ids](absl::AnyInvocable<void(std::vector<coordinator::GroupError>)> cb) {
          groups->DeleteGroups(*ids, std::move(cb));
        };
    errors = co_await AwaitGroupCallback<std::vector<coordinator::GroupError>>(
        call.broker.storage_pool, start);
  }
  for (size_t i = 0; i < request.groups_names.size(); ++i) {
    auto& out = resp.results.emplace_back();
    out.group_id = request.groups_names[i];
    out.error_code = WireError(errors.at(i));
  }
  co_return Reply<Response>{std::move(resp)};
}

}  // namespace keel::server
