"""Chat platforms behind one interface (`adapters.base.ChatAdapter`): console, Telegram, Discord.

Adapters depend on the core (`bot`, `digests`); the core never imports an adapter module except
in the composition root, `bot.app`.
"""
