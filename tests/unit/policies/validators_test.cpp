#include "validators.hpp"

#include <gtest/gtest.h>

namespace hearth::policies::validators {
namespace {

TEST(Validators, Luhn) {
  EXPECT_TRUE(luhn_ok("4111111111111111"));
  EXPECT_TRUE(luhn_ok("4111 1111 1111 1111"));
  EXPECT_TRUE(luhn_ok("378282246310005"));  // Amex test number
  EXPECT_FALSE(luhn_ok("4111111111111112"));
  EXPECT_FALSE(luhn_ok("0000000000000000"));
  EXPECT_FALSE(luhn_ok("411111111111"));  // too short
}

TEST(Validators, Iban) {
  EXPECT_TRUE(iban_ok("DE89370400440532013000"));
  EXPECT_TRUE(iban_ok("GB82 WEST 1234 5698 7654 32"));
  EXPECT_FALSE(iban_ok("DE89370400440532013001"));
  EXPECT_FALSE(iban_ok("GB82 WEST 1234 5698 7654 33"));
}

TEST(Validators, Ssn) {
  EXPECT_TRUE(ssn_ok("123-45-6789"));
  EXPECT_FALSE(ssn_ok("000-45-6789"));
  EXPECT_FALSE(ssn_ok("666-45-6789"));
  EXPECT_FALSE(ssn_ok("912-45-6789"));
  EXPECT_FALSE(ssn_ok("123-00-6789"));
  EXPECT_FALSE(ssn_ok("123-45-0000"));
}

TEST(Validators, EntropyKey) {
  EXPECT_TRUE(high_entropy_key("q8ZtN3vXp2LmR7sK9wYb4HcJ"));
  EXPECT_FALSE(high_entropy_key("internationalization_and_x"));
  EXPECT_FALSE(high_entropy_key("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_NEAR(shannon_entropy("abab"), 1.0, 1e-9);
}

}  // namespace
}  // namespace hearth::policies::validators
