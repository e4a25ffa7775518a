/**
 * @module admin/ui/selection
 * A voucher as the panel holds it, and the vouchers picked for the printable sheet: kept while
 * the panel is open, shared by the list, the create form and the sheet.
 */

/** A voucher as the lists and create actions answer (the seed's fields; the list calls the passcode `password`). */
export interface Voucher {
  id?: number
  username: string
  passcode?: string
  password?: string
  fullname?: string
  valid_for?: string
  valid_from?: string | null
  download_limit?: number | string
  upload_limit?: number | string
  created_at?: string
  first_login?: string | null
  last_login?: string | null
}

/** The vouchers picked for the printable sheet, kept while the panel is open. */
export const selection = new Map<string, Voucher>()

/** The passcode, whichever name the answer gives it. */
export const passcodeOf = (v: Voucher): string => v.passcode ?? v.password ?? ''
