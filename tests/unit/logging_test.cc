// JSON log lines (--log-format json): the message whole, and its key=value
// fields as keys of their own, so a collector filters on job or worker
// without parsing the message (issue 22).
#include "common/logging.h"

#include <gtest/gtest.h>

namespace tminus {
namespace {

TEST(JsonLogTest, FieldsBecomeKeysAndTheMessageStaysWhole) {
  EXPECT_EQ(JsonLogMembers("job=12 chunk=7 attempt=2 state=failed"),
            R"("msg":"job=12 chunk=7 attempt=2 state=failed","job":"12","chunk":"7",)"
            R"("attempt":"2","state":"failed")");
  EXPECT_EQ(JsonLogMembers("worker=w1 incarnation=9 connected coordinator=127.0.0.1:7070"),
            R"("msg":"worker=w1 incarnation=9 connected coordinator=127.0.0.1:7070",)"
            R"("worker":"w1","incarnation":"9","coordinator":"127.0.0.1:7070")");
}

TEST(JsonLogTest, QuotedValuesKeepTheirSpacesAndEscapes) {
  EXPECT_EQ(JsonLogMembers(R"(job=3 error="exit status 7; stderr: \"no\"" retry=yes)"),
            R"("msg":"job=3 error=\"exit status 7; stderr: \\\"no\\\"\" retry=yes",)"
            R"("job":"3","error":"exit status 7; stderr: \\\"no\\\"","retry":"yes")");
  EXPECT_EQ(JsonLogMembers(R"(why="unterminated)"), R"("msg":"why=\"unterminated","why":"unterminated")");
}

TEST(JsonLogTest, NoKeyShadowsTheLineOrRepeats) {
  EXPECT_EQ(JsonLogMembers("msg=x level=y job=1 job=2 Upper=3 =4 a-b=5 plain words"),
            R"("msg":"msg=x level=y job=1 job=2 Upper=3 =4 a-b=5 plain words","job":"1")");
  EXPECT_EQ(JsonLogMembers(""), R"("msg":"")");
  EXPECT_EQ(JsonLogMembers("ctl=\x01"), "\"msg\":\"ctl=\\u0001\",\"ctl\":\"\\u0001\"");
}

}  // namespace
}  // namespace tminus
