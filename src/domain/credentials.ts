/**
 * @module domain/credentials
 * Generated voucher credentials, readable on a phone and typed without mistakes: lower case,
 * no look-alike characters (no 0/o, 1/l/i), and enough entropy that a passcode cannot be
 * guessed (10 characters of 31 = 49.5 bits).
 */
import { randomInt as cryptoRandomInt } from 'node:crypto'

/** Digits 2-9 and a-z without i, l, o: 31 characters. */
export const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz'
export const USERNAME_LENGTH = 8
export const PASSCODE_LENGTH = 10

/** A uniform random integer in [0, max); crypto's by default, injectable for tests. */
export type RandomInt = (max: number) => number

/** `length` characters drawn uniformly from ALPHABET. */
export const randomCode = (length: number, randomInt: RandomInt = cryptoRandomInt): string =>
  Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')

const ADJECTIVES = [
  'Amber', 'Azure', 'Brave', 'Bright', 'Calm', 'Clever', 'Coral', 'Crimson', 'Eager', 'Gentle',
  'Golden', 'Happy', 'Honest', 'Jolly', 'Kind', 'Lively', 'Lucky', 'Mellow', 'Misty', 'Noble',
  'Olive', 'Quiet', 'Rapid', 'Royal', 'Silver', 'Sunny', 'Swift', 'Teal', 'Tidy', 'Vivid',
  'Warm', 'Witty',
]
const NOUNS = [
  'Badger', 'Bison', 'Crane', 'Dolphin', 'Eagle', 'Falcon', 'Finch', 'Fox', 'Gecko', 'Heron',
  'Ibis', 'Jaguar', 'Koala', 'Lark', 'Lynx', 'Marten', 'Otter', 'Owl', 'Panda', 'Puffin',
  'Quail', 'Raven', 'Robin', 'Salmon', 'Seal', 'Sparrow', 'Swan', 'Tiger', 'Trout', 'Walrus',
  'Wren', 'Zebra',
]

/** A random, friendly full name such as "Amber Falcon" (the seed: "a random name will be generated"). */
export const randomFullname = (randomInt: RandomInt = cryptoRandomInt): string =>
  `${ADJECTIVES[randomInt(ADJECTIVES.length)]} ${NOUNS[randomInt(NOUNS.length)]}`

// Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u

/**
 * Why a supplied username, passcode or full name is unacceptable, or null when it is fine.
 * Surrounding white space is trimmed before this check (see README).
 */
export const credentialProblem = (value: string): string | null =>
  CONTROL.test(value) ? 'must not contain control characters' : null
