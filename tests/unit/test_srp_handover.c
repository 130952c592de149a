/* Unit tests of the SRP live-upgrade state parser (srp_handover_parse.c)
 * and the soft transport's connection description (srp_soft_desc.c): a
 * state as a real upgrade writes it is taken as it is, and each kind of
 * fault is refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "procs/frontend-srp/srp_handover_parse.h"
#include "procs/frontend-srp/srp_soft_desc.h"

#define SESS(ini, nx) "{\"port\":0,\"ini\":\"0x0000000000000000aabbccddeeff00" ini "\"," \
	"\"nexus\":" #nx ",\"aer\":0}"
#define MRS "{\"mrs\":[{\"rkey\":4660,\"access\":3,\"addr\":140407146283008,\"length\":67108864}," \
	"{\"rkey\":17185,\"access\":1,\"addr\":140407145234432,\"length\":1048576}]}"
#define CHAN(s, id, fd) "{\"sess\":" #s ",\"id\":" #id ",\"it\":8260,\"ti\":256,\"fmt\":6," \
	"\"imm\":68,\"flags\":128,\"lflags\":128,\"tag\":16,\"req_lim\":60,\"delta\":4," \
	"\"fd\":" #fd ",\"nfds\":3,\"port\":0,\"conn\":" MRS "}"
/* two sessions, the first with two channels (as written by srp_ho_serialize
 * in a real upgrade, tests/fuzz/seeds/fuzz-srp-handover) */
#define GOOD "{\"kind\":\"srp-handover\",\"version\":1,\"next_nexus\":5,\"sessions\":[" \
	SESS("e2", 4) "," SESS("04", 1) "],\"channels\":[" CHAN(0, 4, 0) "," CHAN(0, 3, 3) "," \
	CHAN(1, 1, 6) "]}"

static struct srp_ho_limits lim = { .nports = 2, .max_it = 8448, .credits = 64,
				    .max_chans = 4, .max_total = 256 };
static struct srp_ho_state st;

static const char *parse(const char *txt, int nfds)
{
	const char *why = NULL;

	lim.check_conn[0] = srp_soft_desc_check;
	if (srp_ho_parse(&lim, txt, strlen(txt), nfds, &st, &why) == 0) {
		assert_null(why);
		return NULL;
	}
	assert_non_null(why);
	assert_null(st.doc);
	return why;
}

/* GOOD with the first occurrence of `from` replaced by `to` */
static const char *parse_edit(const char *from, const char *to, int nfds)
{
	static char buf[8192];
	const char *p = strstr(GOOD, from);

	assert_non_null(p);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - GOOD), GOOD, to, p + strlen(from));
	return parse(buf, nfds);
}

static void test_good(void **s)
{
	assert_null(parse(GOOD, 9));
	assert_int_equal(st.next_nexus, 5);
	assert_int_equal(st.nsess, 2);
	assert_int_equal(st.nchans, 3);
	assert_int_equal(st.sess[0].nexus, 4);
	assert_int_equal(st.sess[0].nchans, 2);
	assert_int_equal(st.sess[0].ini[15], 0xe2);
	assert_int_equal(st.chans[1].id, 3);
	assert_int_equal(st.chans[1].fd, 3);
	assert_int_equal(st.chans[2].sess, 1);
	assert_int_equal(st.chans[2].imm_off, 68);
	assert_int_equal(st.chans[2].req_lim + st.chans[2].delta, 64);
	srp_ho_state_release(&st);
}

static void test_refused(void **s)
{
	assert_string_equal(parse("{", 9), "not a handover");
	assert_string_equal(parse_edit("\"version\":1", "\"version\":2", 9), "version");
	/* the fds: each channel's in order, all of them used */
	assert_string_equal(parse(GOOD, 10), "fds that no channel names");
	assert_string_equal(parse(GOOD, 8), "channel.fd");
	assert_string_equal(parse(GOOD, 2), "more channels than allowed");
	assert_string_equal(parse_edit("\"fd\":3", "\"fd\":0", 9), "channel.fd");
	/* sessions */
	assert_string_equal(parse_edit("\"nexus\":4", "\"nexus\":5", 9), "session.nexus");
	assert_string_equal(parse_edit("\"nexus\":4", "\"nexus\":1", 9), "session.nexus used twice");
	assert_string_equal(parse_edit("ff00e2", "ff0004", 9),
			    "two sessions of one initiator on one port");
	assert_string_equal(parse_edit("\"port\":0,\"ini\"", "\"port\":1,\"ini\"", 9),
			    "session.port cannot adopt connections");
	assert_string_equal(parse_edit("\"sess\":1", "\"sess\":0", 9), "a session without channels");
	/* channels */
	assert_string_equal(parse_edit("\"id\":3", "\"id\":4", 9), "channel.id used twice");
	assert_string_equal(parse_edit("\"it\":8260", "\"it\":9000", 9), "channel.it");
	assert_string_equal(parse_edit("\"imm\":68", "\"imm\":20", 9), "channel.imm");
	/* the offset is 16 bits wide: 65546 must not become 10 */
	lim.max_it = 262144;
	assert_string_equal(parse_edit("\"it\":8260,\"ti\":256,\"fmt\":6,\"imm\":68",
				       "\"it\":70000,\"ti\":256,\"fmt\":6,\"imm\":65546", 9),
			    "channel.imm");
	lim.max_it = 8448;
	assert_string_equal(parse_edit("\"fmt\":6", "\"fmt\":7", 9), "channel.fmt");
	assert_string_equal(parse_edit("\"delta\":4", "\"delta\":5", 9),
			    "channel credits above the request limit");
	lim.max_chans = 1;
	assert_string_equal(parse(GOOD, 9), "more channels in a session than allowed");
	lim.max_chans = 4;
	/* the soft transport's description */
	assert_string_equal(parse_edit("\"rkey\":17185", "\"rkey\":4660", 9), "channel.conn");
	assert_string_equal(parse_edit("\"length\":1048576", "\"length\":0", 9), "channel.conn");
	assert_string_equal(parse_edit("\"access\":1", "\"access\":4", 9), "channel.conn");
	assert_string_equal(parse_edit("\"addr\":140407145234432", "\"addr\":-1", 9),
			    "channel.conn");
	assert_string_equal(parse_edit("\"length\":1048576", "\"length\":4294967297", 9),
			    "channel.conn");
	/* a key twice: which one counts is nobody's guess */
	assert_string_equal(parse_edit("\"tag\":16", "\"tag\":16,\"tag\":17", 9), "not a handover");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
