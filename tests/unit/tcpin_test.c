/* Unit tests for tcpin.c: the segments a Linux server discards, SYN data, urgent bytes, RST and FIN. */
#include <criterion/criterion.h>
#include <string.h>

#include "wire/tcpin.h"

static struct pkt
seg(uint8_t flags, uint32_t seq, uint32_t ack, size_t paylen)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.family = 4;
	p.tcp_flags = flags;
	p.seq = seq;
	p.ack = ack;
	p.paylen = paylen;
	return p;
}

static struct pkt
with_ts(struct pkt p, uint32_t tsval)
{
	p.tcp_opts |= PKT_OPT_TS;
	p.tsval = tsval;
	return p;
}

Test(tcpin, md5_and_ao_discarded)
{
	struct tcpin t = {0};
	struct pkt syn = seg(PKT_TCP_SYN, 100, 0, 0), d = seg(PKT_TCP_ACK, 101, 5001, 10);

	tcpin_syn(&t, &syn);
	d.tcp_opts = PKT_OPT_MD5;
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_MD5);
	d.tcp_opts = PKT_OPT_AO;
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_MD5);
	d.tcp_opts = PKT_OPT_BAD;
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_BAD_OPT);
	d.tcp_opts = 0;
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_TAKE);
	cr_assert_str_eq(tcpin_verdict_name(TCPIN_MD5), "md5");
}

Test(tcpin, paws_only_when_the_syn_offered_timestamps)
{
	struct tcpin t = {0};
	struct pkt syn = with_ts(seg(PKT_TCP_SYN, 100, 0, 0), 1000);

	tcpin_syn(&t, &syn);
	cr_assert(t.flags & TCPIN_F_TS);
	struct pkt ack = with_ts(seg(PKT_TCP_ACK, 101, 5001, 0), 1005);
	cr_assert_eq(tcpin_check(&t, &ack), TCPIN_TAKE);
	cr_assert_eq(t.ts_recent, 1005);
	/* One tick older passes (PAWS window), older still is dropped; a RST is not. */
	struct pkt d = with_ts(seg(PKT_TCP_ACK | PKT_TCP_PSH, 101, 5001, 10), 1004);
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_TAKE);
	d.tsval = 900;
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_PAWS);
	struct pkt rst = with_ts(seg(PKT_TCP_RST, 101, 0, 0), 900);
	cr_assert_eq(tcpin_check(&t, &rst), TCPIN_TAKE);
	/* Across the wrap of the timestamp clock. */
	struct tcpin w = {0};
	struct pkt wsyn = with_ts(seg(PKT_TCP_SYN, 1, 0, 0), 0xfffffff0u);
	tcpin_syn(&w, &wsyn);
	struct pkt later = with_ts(seg(PKT_TCP_ACK, 2, 9, 5), 0x10);
	cr_assert_eq(tcpin_check(&w, &later), TCPIN_TAKE);
	cr_assert_eq(w.ts_recent, 0x10);
	later.tsval = 0xfffffff0u;
	cr_assert_eq(tcpin_check(&w, &later), TCPIN_PAWS);
	/* No timestamps on the SYN: none checked. */
	struct tcpin n = {0};
	struct pkt nsyn = seg(PKT_TCP_SYN, 1, 0, 0);
	tcpin_syn(&n, &nsyn);
	struct pkt a = with_ts(seg(PKT_TCP_ACK, 2, 9, 5), 50), b = with_ts(a, 10);
	cr_assert_eq(tcpin_check(&n, &a), TCPIN_TAKE);
	cr_assert_eq(tcpin_check(&n, &b), TCPIN_TAKE);
}

Test(tcpin, ack_flag_and_number)
{
	struct tcpin t = {0};
	struct pkt syn = seg(PKT_TCP_SYN, 100, 0, 0);

	tcpin_syn(&t, &syn);
	struct pkt noack = seg(PKT_TCP_PSH, 101, 0, 10);
	cr_assert_eq(tcpin_check(&t, &noack), TCPIN_NO_ACK);
	struct pkt first = seg(PKT_TCP_ACK, 101, 0x80000001u, 0);
	cr_assert_eq(tcpin_check(&t, &first), TCPIN_TAKE);
	cr_assert_eq(t.first_ack, 0x80000001u);
	struct pkt d = seg(PKT_TCP_ACK, 101, 0x80000001u + 70000, 10);
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_TAKE);
	d.ack = 0x80000001u - 70000; /* old, but within a window: Linux takes it */
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_TAKE);
	d.ack = 0x80000001u + 0x50000000u;
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_BAD_ACK);
	d.ack = 0x80000001u - 0x50000000u;
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_BAD_ACK);
	/* A retransmitted SYN is the caller's. */
	cr_assert_eq(tcpin_check(&t, &syn), TCPIN_TAKE);
}

Test(tcpin, syn_data_until_a_later_segment)
{
	struct tcpin t = {0};
	struct pkt syn = seg(PKT_TCP_SYN, 100, 0, 300);

	tcpin_syn(&t, &syn);
	cr_assert(t.flags & TCPIN_F_SYNDATA);
	cr_assert_eq(tcpin_data_seq(&syn), 101);
	struct pkt ack = seg(PKT_TCP_ACK, 101, 7, 0);
	cr_assert_eq(tcpin_check(&t, &ack), TCPIN_TAKE);
	cr_assert(t.flags & TCPIN_F_SYNDATA);
	struct pkt fake = seg(PKT_TCP_ACK, 101, 7, 300);
	fake.tcp_opts = PKT_OPT_MD5;
	cr_assert_eq(tcpin_check(&t, &fake), TCPIN_MD5);
	cr_assert(t.flags & TCPIN_F_SYNDATA);
	struct pkt d = seg(PKT_TCP_ACK, 101, 7, 300);
	cr_assert_eq(tcpin_check(&t, &d), TCPIN_TAKE);
	cr_assert_eq(t.flags & TCPIN_F_SYNDATA, 0);
	cr_assert_eq(tcpin_data_seq(&d), 101);
}

Test(tcpin, urgent_pointer_as_linux_reads_it)
{
	struct tcpin t = {0};
	uint32_t u = 0;
	struct pkt d = seg(PKT_TCP_ACK | PKT_TCP_URG, 101, 7, 20);

	/* The pointer names the byte after the urgent one. */
	d.urg_ptr = 7;
	cr_assert_eq(tcpin_urgent(&t, &d, 101, &u), 1);
	cr_assert_eq(u, 107);
	/* The same again, or an older one: ignored. */
	cr_assert_eq(tcpin_urgent(&t, &d, 101, &u), 0);
	d.urg_ptr = 3;
	cr_assert_eq(tcpin_urgent(&t, &d, 101, &u), 0);
	cr_assert_eq(t.flags & TCPIN_F_URG2, 0);
	/* A newer one: taken, and the two make the reading uncertain. */
	d.urg_ptr = 15;
	cr_assert_eq(tcpin_urgent(&t, &d, 101, &u), 1);
	cr_assert_eq(u, 115);
	cr_assert(t.flags & TCPIN_F_URG2);
	/* Before what the receiver expects next: read already, ignored. */
	struct tcpin t2 = {0};
	d.urg_ptr = 2;
	cr_assert_eq(tcpin_urgent(&t2, &d, 105, &u), 0);
	/* Without the flag, the field means nothing; a zero pointer names the first byte. */
	d.tcp_flags = PKT_TCP_ACK;
	cr_assert_eq(tcpin_urgent(&t2, &d, 101, &u), 0);
	d.tcp_flags = PKT_TCP_ACK | PKT_TCP_URG;
	d.urg_ptr = 0;
	cr_assert_eq(tcpin_urgent(&t2, &d, 101, &u), 1);
	cr_assert_eq(u, 101);
}

Test(tcpin, rst_and_fin_only_where_the_stream_stands)
{
	struct pkt rst = seg(PKT_TCP_RST | PKT_TCP_ACK, 500, 7, 0);

	cr_assert_eq(tcpin_ends(&rst, 500), 1);
	cr_assert_eq(tcpin_ends(&rst, 499), 0);
	cr_assert_eq(tcpin_ends(&rst, 501), 0);
	struct pkt fin = seg(PKT_TCP_FIN | PKT_TCP_ACK, 9000, 7, 0);
	cr_assert_eq(tcpin_ends(&fin, 500), 0);
	cr_assert_eq(tcpin_ends(&fin, 9000), 1);
	struct pkt data = seg(PKT_TCP_ACK, 500, 7, 0);
	cr_assert_eq(tcpin_ends(&data, 500), 0);
}
