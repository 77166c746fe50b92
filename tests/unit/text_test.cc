#include <gtest/gtest.h>

#include "common/address.h"
#include "common/text.h"
#include "tests/testing/status_matchers.h"

namespace tminus {
namespace {

using ::tminus::testing::StatusIs;

TEST(TextTest, EscapeForTerminalDefusesControlCharactersAndBadBytes) {
  EXPECT_EQ(EscapeForTerminal("plain name"), "plain name");
  EXPECT_EQ(EscapeForTerminal("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 stays
  EXPECT_EQ(EscapeForTerminal("red\x1b[31m"), "red\\x1b[31m");
  EXPECT_EQ(EscapeForTerminal("two\nlines\r"), "two\\x0alines\\x0d");
  EXPECT_EQ(EscapeForTerminal("\xff\xc2"), "\\xff\\xc2");
  EXPECT_EQ(EscapeForTerminal("\xc2\x9b"), "\\xc2\\x9b");  // C1 CSI
}

TEST(TextTest, EscapeForTerminalShowsTheMarksThatReorderText) {
  EXPECT_EQ(EscapeForTerminal("job\xe2\x80\xaegnp.exe"), "job\\u202egnp.exe");  // U+202E
  EXPECT_EQ(EscapeForTerminal("\xe2\x81\xa6x\xe2\x80\x8f"), "\\u2066x\\u200f");
  EXPECT_EQ(EscapeForTerminal("\xe2\x80\x94"), "\xe2\x80\x94");  // an em dash stays
}

TEST(TextTest, EscapeForLogKeepsOneLineAndCutsLongInput) {
  EXPECT_EQ(EscapeForLog("a\nb"), "a\\x0ab");  // no forged second line
  EXPECT_EQ(EscapeForLog("\x1b[2J"), "\\x1b[2J");
  const std::string huge(1 << 20, 'h');
  const std::string logged = EscapeForLog(huge);
  EXPECT_LT(logged.size(), kLogFieldBytes + 32);
  EXPECT_NE(logged.find("...(1048576 bytes)"), std::string::npos) << logged;
  // A cut never splits a character into bad bytes.
  const std::string accents = std::string(255, 'a') + "\xc3\xa9\xc3\xa9";
  EXPECT_EQ(EscapeForLog(accents).substr(0, 256), std::string(255, 'a') + ".");
}

TEST(TextTest, ChecksNameTheFieldAndTheRule) {
  TMINUS_EXPECT_OK(CheckVisibleAscii("w-1.example:7", "--name", 1, 128));
  EXPECT_THAT(CheckVisibleAscii("", "--name", 1, 128),
              StatusIs(absl::StatusCode::kInvalidArgument, "--name: must be 1 to 128 bytes"));
  EXPECT_THAT(CheckVisibleAscii("a b", "--name", 1, 128),
              StatusIs(absl::StatusCode::kInvalidArgument, "--name: only visible ASCII"));
  EXPECT_THAT(CheckPrintableUtf8("x\x07", "name", 128),
              StatusIs(absl::StatusCode::kInvalidArgument, "name: must be UTF-8"));
  TMINUS_EXPECT_OK(CheckPrintableUtf8("Zählung 1", "name", 128));
}

TEST(AddressTest, PortsOutOfRangeOrWithTrailingJunkAreRefused) {
  for (const char* bad : {"127.0.0.1:99999", "host:165636", "127.0.0.1:47199abc", "h:-1", ":80",
                          "::1:80", "[::1", "host:", "\"127.0.0.1:42080", "h\":1",
                          "a b:1", "h;rm:1"}) {
    EXPECT_THAT(ParseHostPort(bad, "--listen", {}),
                StatusIs(absl::StatusCode::kInvalidArgument, "--listen"))
        << bad;
  }
  EXPECT_THAT(ParseHostPort("127.0.0.1", "--listen", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "port is missing"));
  EXPECT_THAT(ParseHostPort("h:0", "-c", {}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AddressTest, GoodAddressesAndTheDefaultPort) {
  EXPECT_EQ(ParseHostPort("127.0.0.1:7070", "x", {})->ToString(), "127.0.0.1:7070");
  EXPECT_EQ(ParseHostPort("[::1]:0", "x", {-1, true})->ToString(), "[::1]:0");
  EXPECT_EQ(*ParseDialTarget("coordinator", "-c"), "coordinator:7070");
  EXPECT_EQ(*ParseDialTarget("unix:/run/t.sock", "-c"), "unix:/run/t.sock");
}

}  // namespace
}  // namespace tminus
