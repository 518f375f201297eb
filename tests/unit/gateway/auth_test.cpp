#include "hearth/gateway/auth.hpp"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

Authenticator make_auth(bool enabled = true) {
  return Authenticator(enabled, {ApiKey{"billing", "finance", sha256("sk-billing")},
                                 ApiKey{"search", "web", sha256("sk-search")}});
}

TEST(Sha256, KnownVector) {
  auto digest = sha256("abc");
  auto expected =
      parse_sha256_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(digest, *expected);
}

TEST(ParseSha256Hex, AcceptsEitherCaseAndRejectsJunk) {
  auto lower = parse_sha256_hex(std::string(64, 'a'));
  auto upper = parse_sha256_hex(std::string(64, 'A'));
  ASSERT_TRUE(lower.ok());
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*lower, *upper);
  EXPECT_EQ((*lower)[0], 0xaa);
  EXPECT_FALSE(parse_sha256_hex(std::string(63, 'a')).ok());
  EXPECT_FALSE(parse_sha256_hex(std::string(65, 'a')).ok());
  EXPECT_FALSE(parse_sha256_hex(std::string(63, 'a') + "g").ok());
  EXPECT_FALSE(parse_sha256_hex("").ok());
}

TEST(DigestsEqual, ComparesEveryByte) {
  Digest a = sha256("one");
  Digest b = a;
  EXPECT_TRUE(digests_equal(a, b));
  for (size_t i = 0; i < b.size(); i += 31) {
    Digest c = a;
    c[i] ^= 0x01;
    EXPECT_FALSE(digests_equal(a, c)) << "byte " << i;
  }
  Digest last = a;
  last[31] ^= 0x80;
  EXPECT_FALSE(digests_equal(a, last));
}

TEST(Authenticator, BearerKey) {
  auto identity = make_auth().authenticate("Bearer sk-billing", "");
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->app, "billing");
  EXPECT_EQ(identity->team, "finance");
}

TEST(Authenticator, BearerSchemeIsCaseInsensitiveAndTrimmed) {
  auto identity = make_auth().authenticate("  bearer   sk-search ", "");
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->app, "search");
}

TEST(Authenticator, XApiKey) {
  auto identity = make_auth().authenticate("", "sk-search");
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->app, "search");
  EXPECT_EQ(identity->team, "web");
}

TEST(Authenticator, WrongKeyIsUnauthorizedAndNotEchoed) {
  auto identity = make_auth().authenticate("Bearer sk-nope-secret", "");
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(identity.error().message.find("Invalid API key"), std::string::npos);
  EXPECT_EQ(identity.error().message.find("sk-nope-secret"), std::string::npos);
}

TEST(Authenticator, MissingKey) {
  auto identity = make_auth().authenticate("", "");
  ASSERT_FALSE(identity.ok());
  EXPECT_EQ(identity.error().code, ErrorCode::Unauthorized);
  EXPECT_NE(identity.error().message.find("Missing API key"), std::string::npos);
}

TEST(Authenticator, OtherSchemeWithoutXApiKeyIsInvalid) {
  auto identity = make_auth().authenticate("Basic dXNlcjpwYXNz", "");
  ASSERT_FALSE(identity.ok());
  EXPECT_NE(identity.error().message.find("Invalid API key"), std::string::npos);
  auto bare = make_auth().authenticate("Bearer", "");
  ASSERT_FALSE(bare.ok());
}

TEST(Authenticator, OtherSchemeFallsBackToXApiKey) {
  auto identity = make_auth().authenticate("Basic dXNlcjpwYXNz", "sk-billing");
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->app, "billing");
}

TEST(Authenticator, DisabledIsAnonymous) {
  auto identity = make_auth(false).authenticate("", "");
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->app, "anonymous");
  EXPECT_EQ(identity->team, "");
}

TEST(Authenticator, NoKeysConfiguredRejectsEverything) {
  Authenticator auth(true, {});
  EXPECT_FALSE(auth.authenticate("Bearer anything", "").ok());
}

}  // namespace
}  // namespace hearth::gateway
