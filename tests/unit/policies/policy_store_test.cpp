#include "hearth/policies/policy_store.hpp"

#include <gtest/gtest.h>

#include "fakes/temp_dir.hpp"

namespace hearth::policies {
namespace {

using hearth::testing::TempDir;
using hearth::testing::write_file;

const char* kGood = "version: 1\nrules:\n  - id: first\n    then: {route: local_only}\n";
const char* kOther = "version: 1\nrules:\n  - id: second\n    then: {route: prefer_local}\n";

TEST(PolicyStore, ReloadSwapsAndInFlightRequestsKeepTheirs) {
  TempDir dir;
  const std::string path = dir.file("policies.yaml");
  write_file(path, kGood);
  auto initial = load_policy_file(path, {});
  ASSERT_TRUE(initial.ok());
  PolicyStore store(*initial, {});
  const std::shared_ptr<const Policy> in_flight = store.current();

  write_file(path, kOther);
  ASSERT_TRUE(store.reload(path).ok());
  EXPECT_EQ(store.current()->rules()[0].id, "second");
  EXPECT_EQ(in_flight->rules()[0].id, "first");
  EXPECT_NE(store.current()->hash(), in_flight->hash());
}

TEST(PolicyStore, InvalidFileKeepsTheOldPolicyAndSaysWhy) {
  TempDir dir;
  const std::string path = dir.file("policies.yaml");
  write_file(path, kGood);
  PolicyStore store(load_policy_file(path, {}).value(), {});
  const std::string hash = store.current()->hash();

  write_file(path, "version: 1\nrules:\n  - id: x\n    when: {app: a}\n    then: {route: nowhere}\n");
  auto r = store.reload(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            path + ":3:5: the last rule must be a default rule (no `when`), so that every request gets a decision\n" +
                path + ":5:19: route must be one of: local_only, on_prem_only, prefer_local, cloud_allowed, deny");
  EXPECT_EQ(store.current()->hash(), hash);
  EXPECT_EQ(store.current()->rules()[0].id, "first");

  EXPECT_FALSE(store.reload(dir.file("missing.yaml")).ok());
  EXPECT_EQ(store.current()->hash(), hash);
}

TEST(PolicyStore, ReloadChecksUpstreamsWithTheStoreOptions) {
  TempDir dir;
  const std::string path = dir.file("policies.yaml");
  write_file(path, kGood);
  PolicyLoadOptions options;
  options.upstreams = std::vector<KnownUpstream>{{"openai", true}};
  PolicyStore store(load_policy_file(path, options).value(), options);
  write_file(path, "version: 1\nrules:\n  - id: d\n    then: {route: cloud_allowed, upstreams: [claude]}\n");
  EXPECT_FALSE(store.reload(path).ok());
  EXPECT_EQ(store.current()->rules()[0].id, "first");
}

}  // namespace
}  // namespace hearth::policies
