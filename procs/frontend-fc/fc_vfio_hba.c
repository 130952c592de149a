/* The FC HBAs a full VFIO driver would target, by PCI id (ids as the Linux
 * qla2xxx and lpfc drivers list them), and the firmware interface each one
 * needs. Knowing the family only improves the refusal message: no firmware
 * interface is implemented for any of them (docs/fc.md, VFIO). */
#include <stddef.h>

#include "procs/frontend-fc/fc_port_vfio.h"

#define QLA_IF "ISP24xx-style firmware interface: mailbox registers, request/response " \
	"IOCB rings and the ATIO/CTIO rings of target mode, firmware image loaded by the host"
#define ELX_IF "SLI-4: bootstrap mailbox, then event/completion/work/receive queues " \
	"in host memory; firmware resident on the adapter"

static const struct fc_vfio_hba hbas[] = {
	{ 0x1077, 0x2071, "QLogic ISP2071 (QLE27xx)", QLA_IF },
	{ 0x1077, 0x2261, "QLogic ISP2261 (QLE27xx)", QLA_IF },
	{ 0x1077, 0x2271, "QLogic ISP2271 (QLE27xx)", QLA_IF },
	{ 0x1077, 0x2081, "QLogic ISP2081 (QLE28xx)", QLA_IF },
	{ 0x1077, 0x2089, "QLogic ISP2089 (QLE28xx)", QLA_IF },
	{ 0x1077, 0x2281, "QLogic ISP2281 (QLE28xx)", QLA_IF },
	{ 0x1077, 0x2289, "QLogic ISP2289 (QLE28xx)", QLA_IF },
	{ 0x10df, 0xe200, "Emulex Lancer (LPe16000)", ELX_IF },
	{ 0x10df, 0xe300, "Emulex Lancer G6 (LPe31000/LPe32000)", ELX_IF },
	{ 0x10df, 0xf400, "Emulex Lancer G7 (LPe35000/LPe36000)", ELX_IF },
	{ 0x10df, 0xf500, "Emulex Lancer G7P (LPe38000)", ELX_IF },
};

const struct fc_vfio_hba *fc_vfio_hba_find(uint16_t vendor, uint16_t device)
{
	for (size_t i = 0; i < sizeof(hbas) / sizeof(hbas[0]); i++)
		if (hbas[i].vendor == vendor && hbas[i].device == device)
			return &hbas[i];
	return NULL;
}
