/* NFLOG listener: the first packet of each flow the kernel blocked by IP, turned into an event. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "evlog/event.h"
#include "evlog/evlog.h"
#include "base/log.h"
#include "match/match.h"
#include "nflog.h"
#include "wire/pkt.h"

#define NFLOG_COPY_RANGE 128 /* enough for the IP and transport headers */

int
nflog_event(const struct match_snapshot *snap, const uint8_t *buf, size_t len, int action,
    int64_t now, uint64_t time_us, struct event *ev)
{
	struct pkt p;
	struct match_hit hit;
	char ind[INET6_ADDRSTRLEN];

	int st = pkt_parse(buf, len, &p);
	/* ICMP and other protocols still carry both addresses; a fragment does too. */
	if (st != PKT_OK && st != PKT_OTHER_PROTO && st != PKT_FRAGMENT)
		return NFLOG_BAD;
	if (st != PKT_OK)
		p.dport = 0;
	if (snap == NULL || match_addr(snap, p.family, p.dst, now, &hit) != MATCH_BLOCK)
		return NFLOG_UNMATCHED;
	inet_ntop(p.family == 4 ? AF_INET : AF_INET6, p.dst, ind, sizeof(ind));
	event_fill(ev, snap, &hit, EV_IP, action, p.family, p.proto, p.src, p.dport, ind,
	    strlen(ind), time_us);
	return NFLOG_MATCHED;
}

static void
count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static int
on_packet(const struct nlmsghdr *nlh, void *arg)
{
	struct nflog *n = arg;
	struct nlattr *attr[NFULA_MAX + 1] = {0};
	struct event ev;
	struct timespec ts;

	if (nflog_nlmsg_parse(nlh, attr) < 0 || attr[NFULA_PAYLOAD] == NULL) {
		count(&n->c.bad);
		return MNL_CB_OK;
	}
	count(&n->c.received);
	clock_gettime(CLOCK_REALTIME, &ts);
	const struct match_snapshot *s = snapref_enter(n->snaps, n->reader);
	int r = nflog_event(s, mnl_attr_get_payload(attr[NFULA_PAYLOAD]),
	    mnl_attr_get_payload_len(attr[NFULA_PAYLOAD]), n->action, (int64_t)ts.tv_sec,
	    (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u, &ev);
	snapref_leave(n->snaps, n->reader);
	if (r == NFLOG_BAD)
		count(&n->c.bad);
	else if (r == NFLOG_UNMATCHED)
		count(&n->c.unmatched);
	else if (evlog_append(n->log, &ev) == 0)
		count(&n->c.events);
	else
		count(&n->c.lost);
	return MNL_CB_OK;
}

static int
send_cfg(struct nflog *n, uint8_t family, uint16_t group, int cmd, int mode)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nflog_nlmsg_put_header(buf, NFULNL_MSG_CONFIG, family, group);
	if (cmd >= 0)
		nflog_attr_put_cfg_cmd(nlh, (uint8_t)cmd);
	if (mode >= 0)
		nflog_attr_put_cfg_mode(nlh, (uint8_t)mode, NFLOG_COPY_RANGE);
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	ssize_t r = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
	if (r < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)r, 0, mnl_socket_get_portid(n->nl), NULL, NULL) < 0 ? -1 : 0;
}

static void *
nflog_main(void *arg)
{
	struct nflog *n = arg;
	unsigned portid = mnl_socket_get_portid(n->nl);
	struct pollfd pf[2] = {{mnl_socket_get_fd(n->nl), POLLIN, 0}, {n->stopfd, POLLIN, 0}};

	for (;;) {
		if (poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			break;
		ssize_t r = recv(pf[0].fd, n->buf, sizeof(n->buf), MSG_DONTWAIT);
		if (r == -1) {
			/* ENOBUFS: the kernel dropped log messages; counted, go on. */
			if (errno == ENOBUFS) {
				count(&n->c.lost);
			} else if (errno != EINTR && errno != EAGAIN) {
				log_warn("NFLOG group %u: recv (IP blocks are still enforced, "
					 "no longer recorded)",
				    n->group);
				break;
			}
			continue;
		}
		if (mnl_cb_run(n->buf, (size_t)r, 0, portid, on_packet, n) < 0 && errno != ENOENT)
			count(&n->c.bad);
	}
	return NULL;
}

int
nflog_start(struct nflog *n, unsigned group, int action, struct snapref *snaps, unsigned reader,
    struct evlog *log, int stopfd, char *err, size_t errlen)
{
	n->group = group;
	n->action = action;
	n->snaps = snaps;
	n->reader = reader;
	n->log = log;
	n->stopfd = stopfd;
	n->running = 0;
	memset(&n->c, 0, sizeof(n->c));
	/* Close-on-exec: the nft and iptables children must not inherit it. */
	n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (n->nl == NULL || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "NFLOG netlink socket: %s", strerror(errno));
		goto fail;
	}
	if (send_cfg(n, AF_UNSPEC, (uint16_t)group, NFULNL_CFG_CMD_BIND, -1) == -1 ||
	    send_cfg(n, AF_UNSPEC, (uint16_t)group, -1, NFULNL_COPY_PACKET) == -1) {
		snprintf(err, errlen,
		    "NFLOG group %u: %s (is another program bound to it? set nflog_group)", group,
		    strerror(errno));
		goto fail;
	}
	int rc = pthread_create(&n->thread, NULL, nflog_main, n);
	if (rc != 0) {
		snprintf(err, errlen, "NFLOG thread: %s", strerror(rc));
		goto fail;
	}
	n->running = 1;
	return 0;
fail:
	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
	return -1;
}

void
nflog_stop(struct nflog *n)
{
	if (n->running)
		pthread_join(n->thread, NULL);
	n->running = 0;
	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
}
