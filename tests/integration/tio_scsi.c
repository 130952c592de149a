/* INQUIRY and READ CAPACITY(16) checks against what the config promises. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#include "tests/integration/tio.h"

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == ' ')
		s[--n] = 0;
}

/* SPC: the identification fields hold printable ASCII, left aligned. */
static int check_ascii(const char *field, const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e) {
			fprintf(stderr, "tio: INQUIRY %s holds a non-printable byte 0x%02x\n",
				field, (unsigned char)*s);
			return -1;
		}
	return 0;
}

static struct scsi_task *inquiry(struct tio_conn *c, int evpd, int page, void **out)
{
	struct scsi_task *t = iscsi_inquiry_sync(c->ctx, c->lun, evpd, page, 255);

	*out = NULL;
	if (!t || t->status != SCSI_STATUS_GOOD) {
		fprintf(stderr, "tio: INQUIRY evpd %d page 0x%02x failed: %s\n", evpd, page,
			iscsi_get_error(c->ctx));
		if (t)
			scsi_free_scsi_task(t);
		return NULL;
	}
	*out = scsi_datain_unmarshall(t);
	if (!*out) {
		fprintf(stderr, "tio: INQUIRY evpd %d page 0x%02x: cannot parse the answer\n",
			evpd, page);
		scsi_free_scsi_task(t);
		return NULL;
	}
	return t;
}

static int check_standard(struct tio_conn *c, const struct tio_opts *o)
{
	struct scsi_inquiry_standard *inq;
	struct scsi_task *t = inquiry(c, 0, 0, (void **)&inq);
	int bad = 0;

	if (!t)
		return -1;
	rtrim(inq->vendor_identification);
	rtrim(inq->product_identification);
	rtrim(inq->product_revision_level);
	printf("tio: INQUIRY: type %d qualifier %d vendor '%s' product '%s' rev '%s' "
	       "version %d cmdque %d\n", inq->device_type, inq->qualifier,
	       inq->vendor_identification, inq->product_identification,
	       inq->product_revision_level, inq->version, inq->cmdque);
	if (inq->qualifier != SCSI_INQUIRY_PERIPHERAL_QUALIFIER_CONNECTED ||
	    inq->device_type != SCSI_INQUIRY_PERIPHERAL_DEVICE_TYPE_DIRECT_ACCESS) {
		fprintf(stderr, "tio: INQUIRY: not a connected direct-access device\n");
		bad = 1;
	}
	if (check_ascii("vendor", inq->vendor_identification) ||
	    check_ascii("product", inq->product_identification) ||
	    check_ascii("revision", inq->product_revision_level))
		bad = 1;
	if (!inq->vendor_identification[0] || !inq->product_identification[0]) {
		fprintf(stderr, "tio: INQUIRY: empty vendor or product\n");
		bad = 1;
	}
	if (o->vendor && strcmp(o->vendor, inq->vendor_identification)) {
		fprintf(stderr, "tio: INQUIRY vendor '%s', want '%s'\n",
			inq->vendor_identification, o->vendor);
		bad = 1;
	}
	if (o->product && strcmp(o->product, inq->product_identification)) {
		fprintf(stderr, "tio: INQUIRY product '%s', want '%s'\n",
			inq->product_identification, o->product);
		bad = 1;
	}
	if (inq->response_data_format != 2) {
		fprintf(stderr, "tio: INQUIRY response data format %d, want 2\n",
			inq->response_data_format);
		bad = 1;
	}
	scsi_free_scsi_task(t);
	return bad ? -1 : 0;
}

static int check_vpd(struct tio_conn *c)
{
	struct scsi_inquiry_supported_pages *sp;
	struct scsi_inquiry_unit_serial_number *usn;
	struct scsi_inquiry_device_identification *di;
	struct scsi_inquiry_device_designator *d;
	struct scsi_task *t;
	int have80 = 0, have83 = 0, n = 0, bad = 0;

	t = inquiry(c, 1, SCSI_INQUIRY_PAGECODE_SUPPORTED_VPD_PAGES, (void **)&sp);
	if (!t)
		return -1;
	printf("tio: VPD pages:");
	for (int i = 0; i < sp->num_pages; i++) {
		printf(" 0x%02x", sp->pages[i]);
		have80 |= sp->pages[i] == 0x80;
		have83 |= sp->pages[i] == 0x83;
	}
	printf("\n");
	scsi_free_scsi_task(t);
	if (!have80 || !have83) {
		fprintf(stderr, "tio: VPD page 0x80 or 0x83 not listed as supported\n");
		return -1;
	}

	t = inquiry(c, 1, SCSI_INQUIRY_PAGECODE_UNIT_SERIAL_NUMBER, (void **)&usn);
	if (!t)
		return -1;
	printf("tio: unit serial number '%s'\n", usn->usn ? usn->usn : "");
	if (!usn->usn || !usn->usn[0] || check_ascii("serial", usn->usn))
		bad = 1;
	scsi_free_scsi_task(t);

	t = inquiry(c, 1, SCSI_INQUIRY_PAGECODE_DEVICE_IDENTIFICATION, (void **)&di);
	if (!t)
		return -1;
	for (d = di->designators; d; d = d->next) {
		n++;
		printf("tio: designator: type %d association %d codeset %d length %d\n",
		       d->designator_type, d->association, d->code_set, d->designator_length);
		if (d->designator_length <= 0)
			bad = 1;
	}
	scsi_free_scsi_task(t);
	if (!n) {
		fprintf(stderr, "tio: VPD 0x83 holds no designator\n");
		bad = 1;
	}
	return bad ? -1 : 0;
}

int tio_cmd_inquiry(const struct tio_opts *o)
{
	struct tio_conn c;
	int rc;

	if (tio_connect(&c, o, false))
		return 1;
	rc = check_standard(&c, o);
	if (check_vpd(&c))
		rc = -1;
	tio_disconnect(&c);
	return rc ? 1 : 0;
}

int tio_cmd_capacity(const struct tio_opts *o)
{
	struct tio_conn c;
	int bad = 0;

	/* tio_connect already issued READ CAPACITY(16) and validated its shape */
	if (tio_connect(&c, o, false))
		return 1;
	printf("tio: READ CAPACITY(16): %" PRIu64 " blocks of %u bytes\n", c.blocks,
	       c.block_size);
	if (o->block_size && o->block_size != c.block_size) {
		fprintf(stderr, "tio: block size %u, want %u\n", c.block_size, o->block_size);
		bad = 1;
	}
	if (o->blocks && o->blocks != c.blocks) {
		fprintf(stderr, "tio: %" PRIu64 " blocks, want %" PRIu64 "\n", c.blocks, o->blocks);
		bad = 1;
	}
	tio_disconnect(&c);
	return bad;
}
