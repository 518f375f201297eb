#include "hearth/policies/detector.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace hearth::policies {
namespace {

const DetectorSet& builtins() {
  static const std::shared_ptr<const DetectorSet> set = [] {
    auto built = DetectorSet::build({});
    EXPECT_TRUE(built.ok()) << built.error().message;
    return built.value();
  }();
  return *set;
}

// The classes found in `text`, with the matched text: "class=text".
std::vector<std::string> found(const DetectorSet& set, const std::string& text) {
  auto findings = set.scan(text);
  EXPECT_TRUE(findings.ok());
  std::vector<std::string> out;
  for (const Finding& f : *findings) {
    EXPECT_EQ(text.substr(f.begin, f.end - f.begin), f.text);
    out.push_back(f.cls + "=" + f.text);
  }
  return out;
}

struct Case {
  const char* text;
  std::vector<std::string> expected;
};

class BuiltinDetectors : public ::testing::TestWithParam<Case> {};

TEST_P(BuiltinDetectors, FindExactlyTheExpected) {
  EXPECT_EQ(found(builtins(), GetParam().text), GetParam().expected) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    TruePositives, BuiltinDetectors,
    ::testing::Values(
        Case{"mail jane.doe+work@example.co.uk today", {"email=jane.doe+work@example.co.uk"}},
        Case{"call (555) 123-4567 now", {"phone=(555) 123-4567"}},
        Case{"call +1 555 123 4567.", {"phone=+1 555 123 4567"}},
        Case{"london +44 20 7946 0958", {"phone=+44 20 7946 0958"}},
        Case{"ssn 123-45-6789 on file", {"ssn=123-45-6789"}},
        Case{"card 4111 1111 1111 1111 exp", {"credit_card=4111 1111 1111 1111"}},
        Case{"card 4111111111111111", {"credit_card=4111111111111111"}},
        Case{"amex 3782-822463-10005", {"credit_card=3782-822463-10005"}},
        Case{"iban DE89 3704 0044 0532 0130 00 ok", {"iban=DE89 3704 0044 0532 0130 00"}},
        Case{"iban GB82WEST12345698765432", {"iban=GB82WEST12345698765432"}},
        Case{"host 192.168.10.20 is up", {"ip_address=192.168.10.20"}},
        Case{"v6 2001:db8::8a2e:370:7334 here", {"ip_address=2001:db8::8a2e:370:7334"}},
        Case{"link fe80::1ff:fe23:4567:890a", {"ip_address=fe80::1ff:fe23:4567:890a"}},
        Case{"key AKIAIOSFODNN7EXAMPLE used", {"secret=AKIAIOSFODNN7EXAMPLE"}},
        Case{"Authorization: Bearer abcdefghijklmnop1234", {"secret=abcdefghijklmnop1234"}},
        Case{"tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
             {"secret=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}},
        Case{"openai sk-proj-abcdefghijklmnopqrstuvwx12", {"secret=sk-proj-abcdefghijklmnopqrstuvwx12"}},
        Case{"gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", {"secret=ghp_abcdefghijklmnopqrstuvwxyz0123456789"}},
        Case{"db_password=hunter22!", {"secret=hunter22!"}},
        Case{"blob q8ZtN3vXp2LmR7sK9wYb4HcJ end", {"secret=q8ZtN3vXp2LmR7sK9wYb4HcJ"}},
        Case{"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nafter",
             {"secret=-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"}},
        Case{"a@b.io and 123-45-6789", {"email=a@b.io", "ssn=123-45-6789"}},
        Case{"pay GB82 WEST 1234 5698 7654 32 AND more", {"iban=GB82 WEST 1234 5698 7654 32"}},
        Case{"the password: hunter22 works", {"secret=hunter22"}},
        Case{"(me@x.org)", {"email=me@x.org"}},
        Case{"-----BEGIN PRIVATE KEY-----\nMIIE cut off", {"secret=-----BEGIN PRIVATE KEY-----\nMIIE cut off"}}));

INSTANTIATE_TEST_SUITE_P(
    FalsePositives, BuiltinDetectors,
    ::testing::Values(
        Case{"card 4111 1111 1111 1112 (Luhn fails)", {}},
        Case{"zeros 0000 0000 0000 0000", {}},
        Case{"iban DE89 3704 0044 0532 0130 01 (checksum fails)", {}},
        Case{"iban GB82WEST12345698765433", {}},
        Case{"ssn 000-12-3456 and 666-12-3456 and 900-12-3456", {}},
        Case{"order 5551234567 shipped", {}},
        Case{"date 2024-01-15 and time 12:30:45", {}},
        Case{"version 1.2.3 and 999.1.1.1 and 1.2.3.4.5", {}},
        Case{"std::string and a::b::c", {}},
        Case{"mac 00:1A:2B:3C:4D:5E", {}},
        Case{"no at sign example.com, user@localhost", {}},
        Case{"sha e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", {}},
        Case{"path usr/lib/x86_64-linux-gnu/libhs and internationalization_x", {}},
        Case{"the bearer of bad news", {}},
        Case{"password: is required", {}},
        Case{"AKIAIOSFODNN7EXAMPLEX too long", {}},
        Case{"Bearer short and a desk-topabcdefghijklmnopqrstuvwxyz", {}},
        Case{"header eyJhbGciOiJIUzI1NiJ9 alone, eyJhbGciOiJIUzI1NiJ9.eyJzdWIi.x", {}},
        Case{"ghp_tooShort and xoxb-123 and AIzaShort", {}},
        Case{"", {}}));

TEST(CustomDetectors, RegexAndWordsAreFound) {
  DetectorSpec mrn{"mrn", "phi", R"(MRN[: ]?\d{6,10})", {}, false};
  DetectorSpec names{"staff", "person_name", "", {"Alice Smith", "Bob O'Neil"}, true};
  auto set = DetectorSet::build({mrn, names});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(found(**set, "patient MRN:12345678 seen by alice smith"),
            (std::vector<std::string>{"phi=MRN:12345678", "person_name=alice smith"}));
  EXPECT_EQ(found(**set, "Bob O'Neil and Alice Smithers"), (std::vector<std::string>{"person_name=Bob O'Neil"}));
  EXPECT_EQ(found(**set, "MRN 12345"), std::vector<std::string>{});
}

TEST(CustomDetectors, BadRegexIsAnError) {
  EXPECT_FALSE(DetectorSet::check_regex("(unclosed", false).ok());
  EXPECT_FALSE(DetectorSet::check_regex("a(?=b)", false).ok());  // no lookahead in Hyperscan
  EXPECT_TRUE(DetectorSet::check_regex(R"(\bEMP-\d{5}\b)", false).ok());
  auto set = DetectorSet::build({{"broken", "phi", "(x", {}, false}});
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find("broken"), std::string::npos);
}

TEST(Detectors, ScanIsSafeFromManyThreadsAtOnce) {
  const DetectorSet& set = builtins();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto f = set.scan("write to jane@example.com or 123-45-6789");
        if (!f.ok() || f->size() != 2) ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace hearth::policies
