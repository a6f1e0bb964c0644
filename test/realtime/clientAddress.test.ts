import { describe, expect, it } from 'vitest'
import { addressKey } from '../../src/server/realtime/clientAddress.js'

describe('[W6] pre-auth address keys', () => {
  it('[W6] when the address is IPv4, plain or IPv4-mapped, then the key is the address', () => {
    expect(addressKey('127.0.0.2')).toBe('127.0.0.2')
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7')
    expect(addressKey('::FFFF:203.0.113.7')).toBe('203.0.113.7')
  })

  it('[W6] when the address is IPv6, then every address of one /64 has the same key and another /64 another', () => {
    const key = addressKey('2001:db8:1:2::1')
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(key)
    expect(addressKey('2001:0db8:0001:0002:0:0:0:9')).toBe(key)
    expect(addressKey('2001:db8:1:2::1%eth0')).toBe(key)
    expect(key).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key)
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('1:2:3:4:5:6:1.2.3.4')).toBe('1:2:3:4::/64')
    expect(addressKey('64:ff9b::1.2.3.4')).toBe('64:ff9b:0:0::/64')
  })

  it('[W6] when the socket has no address (already gone), then all such sockets share one key', () => {
    expect(addressKey(undefined)).toBe('unknown')
  })
})
