/* The software FCoE driver's entry points for tests and fuzzers: a port
 * without a socket (what it sends fails with -EBADF, counted), already up
 * as a VN2VN VN_Port, fed Ethernet frames directly. */
#ifndef MTGT_FC_FCOE_H
#define MTGT_FC_FCOE_H

#include <stddef.h>
#include <stdint.h>

#include "procs/frontend-fc/fc_port.h"

struct fc_port *fc_fcoe_test_port(const struct fc_port_cb *cb, void *arg, uint64_t wwpn,
				  uint32_t port_id, uint32_t mtu);
/* A port in fabric mode (an ENode; only FCFs with fc_map, 0: any),
 * soliciting; what it sends goes to tx. */
struct fc_port *fc_fcoe_test_fabric_port(const struct fc_port_cb *cb, void *arg, uint64_t wwpn,
					 uint32_t fc_map,
					 void (*tx)(void *arg, const uint8_t *f, size_t len));
/* Make every VN2VN peer's last beacon, and the fabric timers, ms older
 * (timeouts without waiting). */
void fc_fcoe_test_age(struct fc_port *p, uint64_t ms);
/* One received Ethernet frame, as poll() handles it. */
void fc_fcoe_rx(struct fc_port *p, const uint8_t *frame, size_t len);

#endif
