import test from 'brittle'
import { CHAT_COMMANDS, commandNames, helpLines, isCommand, messageText, parseCommand, splitWord } from '../lib/chat/commands.js'

test('one function decides what a command is: a leading /, but not //', (t) => {
  t.ok(isCommand('/nick bob'))
  t.ok(isCommand('/'))
  t.absent(isCommand('hello /nick'))
  t.absent(isCommand('//not a command'))
  t.absent(isCommand(' /nick'))
  t.is(messageText('//etc/passwd is a path'), '/etc/passwd is a path')
  t.is(messageText('plain'), 'plain')
})

test('parsing: the name in lower case, the arguments trimmed', (t) => {
  t.alike(parseCommand('/MSG  bob   hi there '), { name: 'msg', args: 'bob   hi there' })
  t.alike(parseCommand('/names'), { name: 'names', args: '' })
  t.alike(splitWord('  bob   hi there'), ['bob', 'hi there'])
  t.alike(splitWord('bob'), ['bob', ''])
})

test('/help is generated from the table; operator commands only for operators', (t) => {
  const member = helpLines(false).join('\n')
  const operator = helpLines(true).join('\n')
  for (const c of CHAT_COMMANDS) {
    t.ok(operator.includes(c.usage), `operators see ${c.usage}`)
    t.is(member.includes(c.usage), !c.operatorOnly, `members ${c.operatorOnly ? 'do not see' : 'see'} ${c.usage}`)
  }
})

test('the table has every command the issue names, each with usage and help', (t) => {
  const names = CHAT_COMMANDS.map((c) => c.name)
  t.alike(names.sort(), ['away', 'back', 'ban', 'help', 'kick', 'me', 'motd', 'msg', 'mute', 'names', 'nick', 'quit', 'reply', 'unban', 'whois'])
  for (const c of CHAT_COMMANDS) t.ok(c.usage.startsWith('/' + c.name) && c.help.length > 0, c.name)
  t.ok(commandNames().includes('/whois'))
})
